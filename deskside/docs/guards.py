"""Checks other surfaces ask before a change: here, whether a ticket may close as answered."""

from __future__ import annotations

from deskside.core.levels import DOCUMENTATION_LEVEL
from deskside.docs.models import DocChange
from deskside.tickets.models import CloseReason, Ticket


def check_close(ticket: Ticket, reason: CloseReason | str) -> str | None:
    """Why `ticket` may not close for `reason`, or None when it may.

    A level-4 ticket ends with the documentation it changed (docs/protocol.md, Documentation
    changes): closing it as
    answered needs at least one documentation change, planned or done, or a recorded "no change
    needed". Other reasons (duplicate, withdrawn, out of scope…) are not answers and pass."""
    if reason != CloseReason.ANSWERED or ticket.severity != DOCUMENTATION_LEVEL:
        return None
    if DocChange.objects.filter(ticket=ticket).exists():
        return None
    return (
        f"{ticket.ref} is a level-4 ticket: before closing it as answered, record the "
        "documentation changes it leads to (design doc or ops doc), or that no change is "
        "needed and why."
    )
