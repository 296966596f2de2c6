"""What became of a mail: one line of `deskside ingest` (docs/protocol.md, Commands). Its own
module, so that the intake (which stores and marks) and the deciding (which fills it in) both
read it without importing each other."""

from __future__ import annotations

from dataclasses import dataclass

from deskside.mail.models import Outcome


@dataclass(frozen=True)
class Result:
    """One line of `deskside ingest` (docs/protocol.md, Commands)."""

    message_id: str | None
    outcome: Outcome
    ticket: str | None = None
    severity: int | None = None
    reason: str | None = None
    # Held because it cannot be read (MailRejected): nobody needs to read it a second time.
    unreadable: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "outcome": self.outcome.value,
            "ticket": self.ticket,
            "severity": self.severity,
            "reason": self.reason,
        }
