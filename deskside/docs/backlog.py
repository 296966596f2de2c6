"""The documentation backlog: planned changes across tickets, on the documentation clock.

The clock is the level-4 row's documentation target (160 business hours from the start in
docs/protocol.md, Documentation changes). An open ticket stores its due time
(`Ticket.documentation_due`); once a ticket is closed as answered the stored clocks stop, but its
documentation is still owed, so the due time is computed from the ticket's history here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deskside.core import clocks as core_clocks
from deskside.core.business_time import Calendar
from deskside.core.levels import DOCUMENTATION_LEVEL
from deskside.docs.models import ChangeKind, ChangeStatus, DocChange
from deskside.tickets import clocks, policy
from deskside.tickets.models import Ticket


@dataclass(frozen=True)
class BacklogRow:
    change: DocChange
    due: datetime | None  # None while the ticket waits on the client (the clock is paused)
    left: timedelta | None  # business time left; negative once overdue
    mark: str  # "", "due-warn" (75% used) or "due-breach"

    @property
    def breached(self) -> bool:
        return self.mark == "due-breach"


def documentation_due(ticket: Ticket, now: datetime) -> datetime | None:
    """When the ticket's documentation must be corrected (None: paused, or no such clock)."""
    if ticket.documentation_due is not None or ticket.is_open():
        return ticket.documentation_due
    if ticket.severity != DOCUMENTATION_LEVEL:
        return None
    try:
        state = core_clocks.compute(
            clocks.history(ticket), policy.targets(), policy.calendar(), now
        )
    except ValueError:  # the level has no targets configured
        return None
    return state.documentation_due


def backlog(now: datetime) -> list[BacklogRow]:
    """Every planned change, the nearest documentation due time first; paused ones last."""
    planned = (
        DocChange.objects.filter(kind=ChangeKind.CHANGE, status=ChangeStatus.PLANNED)
        .select_related("ticket__contact", "ticket__organisation", "created_by")
        .order_by("ticket_id", "id")
    )
    calendar, targets = policy.calendar(), policy.targets()
    target = targets[DOCUMENTATION_LEVEL].documentation if DOCUMENTATION_LEVEL in targets else None
    dues: dict[int, datetime | None] = {}
    rows = []
    for change in planned:
        if change.ticket_id not in dues:
            dues[change.ticket_id] = documentation_due(change.ticket, now)
        due = dues[change.ticket_id]
        left = _left(calendar, now, due)
        rows.append(BacklogRow(change, due, left, _mark(left, target)))
    rows.sort(key=lambda r: (r.due is None, r.due or now, r.change.ticket_id, r.change.pk))
    return rows


def _left(calendar: Calendar, now: datetime, due: datetime | None) -> timedelta | None:
    if due is None:
        return None
    return calendar.between(now, due) if due > now else -calendar.between(due, now)


def _mark(left: timedelta | None, target: timedelta | None) -> str:
    if left is None:
        return ""
    if left <= timedelta(0):
        return "due-breach"
    if target is not None and left <= target * (1 - core_clocks.WARN_FRACTION):
        return "due-warn"
    return ""


def documentation_done_at(ticket: Ticket) -> datetime | None:
    """When the ticket's documentation clock was met: the moment its last change was done, once
    every change is done (or "no change needed" was recorded); None while any is planned."""
    changes = list(ticket.doc_changes.values_list("status", "done_at"))
    if not changes or any(status != ChangeStatus.DONE for status, _ in changes):
        return None
    return max((done for _, done in changes if done is not None), default=None)
