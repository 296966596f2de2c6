"""The evidence behind the cooperation closings (docs/protocol.md, Cooperation).

A ticket may be closed as client_refused, client_uncooperative or client_unavailable only with
evidence on it: the steps proposed (outbound messages of kind PROPOSAL), the reminders sent
(REMINDER events) and the refusals recorded (REFUSED events). The actions check it before such a
close; the desk's ticket page shows it. Read-only: three small queries on one ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from deskside.core.cooperation import RefusalSource
from deskside.core.errors import ErrorCode
from deskside.tickets.errors import ActionError
from deskside.tickets.events import Refused as RefusedData
from deskside.tickets.events import Reminder as ReminderData
from deskside.tickets.events import read
from deskside.tickets.models import CloseReason, Direction, EventKind, MessageKind, Ticket

EVIDENCE_REASONS = (
    CloseReason.CLIENT_REFUSED,
    CloseReason.CLIENT_UNCOOPERATIVE,
    CloseReason.CLIENT_UNAVAILABLE,
)


@dataclass(frozen=True)
class Proposal:
    at: datetime
    text: str
    by: str


@dataclass(frozen=True)
class Reminder:
    at: datetime
    number: int


@dataclass(frozen=True)
class Refusal:
    at: datetime
    reason: str
    source: str  # a RefusalSource
    by: str

    @property
    def in_portal(self) -> bool:
        return self.source == RefusalSource.PORTAL


@dataclass(frozen=True)
class Evidence:
    proposals: list[Proposal]
    reminders: list[Reminder]
    refusals: list[Refusal]

    def __bool__(self) -> bool:
        return bool(self.proposals or self.reminders or self.refusals)

    def summary(self) -> str:
        """What the ticket has, in words, e.g. '1 proposal of steps, no reminder, no refusal'."""
        return ", ".join(
            (
                _count(len(self.proposals), "proposal of steps", "proposals of steps"),
                _count(len(self.reminders), "reminder", "reminders"),
                _count(len(self.refusals), "refusal", "refusals"),
            )
        )

    def missing_for(self, reason: str) -> ActionError | None:
        """Why `reason` cannot close the ticket on this evidence, or None when it can."""
        if reason == CloseReason.CLIENT_REFUSED and not self.refusals:
            return ActionError(
                ErrorCode.NO_REFUSAL_RECORDED,
                _(
                    "Closing as client_refused needs a refusal recorded: the client refuses in "
                    "the portal, or an agent marks the client's mail as a refusal; this ticket "
                    "has %(evidence)s."
                ),
                evidence=self.summary(),
            )
        if reason in (CloseReason.CLIENT_UNCOOPERATIVE, CloseReason.CLIENT_UNAVAILABLE) and not (
            self.proposals and self.reminders
        ):
            return ActionError(
                ErrorCode.NO_COOPERATION_EVIDENCE,
                _(
                    "Closing as %(reason)s needs evidence: at least one proposal of steps and one "
                    "reminder; this ticket has %(evidence)s."
                ),
                reason=reason,
                evidence=self.summary(),
            )
        return None


def _count(n: int, one: str, many: str) -> str:
    if n == 0:
        return f"no {one}"
    return f"{n} {one if n == 1 else many}"


def evidence_of(ticket: Ticket) -> Evidence:
    proposals = [
        Proposal(at=at, text=text, by=sender)
        for at, text, sender in ticket.messages.filter(
            direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL
        )
        .order_by("created_at", "id")
        .values_list("created_at", "text", "sender")
    ]
    reminders: list[Reminder] = []
    refusals: list[Refusal] = []
    events = ticket.events.filter(kind__in=(EventKind.REMINDER, EventKind.REFUSED)).order_by(
        "created_at", "id"
    )
    for kind, at, data, actor in events.values_list("kind", "created_at", "data", "actor_label"):
        if kind == EventKind.REMINDER:
            reminders.append(Reminder(at=at, number=read(data, ReminderData).get("number", 0)))
        else:
            refused = read(data, RefusedData)
            refusals.append(
                Refusal(
                    at=at,
                    reason=refused.get("reason", ""),
                    source=refused.get("source", ""),
                    by=actor,
                )
            )
    return Evidence(proposals=proposals, reminders=reminders, refusals=refusals)
