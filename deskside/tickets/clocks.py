"""Keep a ticket's stored due times in step with its history (the arithmetic is core.clocks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils import timezone

from deskside.core import clocks as core_clocks
from deskside.tickets import hooks, policy
from deskside.tickets.events import MilestoneReached, Reassessed, Reopened, read
from deskside.tickets.models import Event, EventKind, Message, Ticket
from deskside.tickets.models.choices import NO_EFFORT_RANK, CloseReason

# A ticket's events as the clocks read them: (kind, created_at, data), in order.
HistoryRows = Sequence[tuple[str, datetime, dict[str, object]]]

CLOCK_FIELDS = (
    "effort_rank",
    *(clock.due_field for clock in core_clocks.Clock),
    "nearest_due",
    "next_check_at",
    "clocks_paused",
    "clocks_checked_at",
    "in_queue",
)
_PAUSING = (EventKind.WAITING,)
_ENDING_PAUSE = (EventKind.RESUMED, EventKind.CLOSED, EventKind.REOPENED, EventKind.RESOLVED)


def state(
    ticket: Ticket,
    now: datetime | None = None,
    known: core_clocks.History | None = None,
    *,
    events: HistoryRows | None = None,
    replies: Sequence[datetime] | None = None,
) -> core_clocks.ClockState | None:
    """The ticket's clocks now, or None when no clock runs (no level, or not open).

    `known` is the history when the caller has it (a ticket not yet saved); else it is made
    from `events` and `replies` when a page has read them anyway (see `history`), or read."""
    if ticket.severity is None or not ticket.is_open():
        return None
    if known is None:
        if ticket.pk is None:
            return None
        known = history(ticket, events, replies)
    return core_clocks.compute(known, policy.targets(), policy.calendar(), now or timezone.now())


def first_history(ticket: Ticket) -> core_clocks.History:
    """The history of a ticket being opened: received, at its level, nothing else yet. Its
    clocks are known before the row is written, so they go into the INSERT itself."""
    return core_clocks.History(
        received_at=ticket.received_at,
        claimed_severity=int(ticket.claimed_severity or ticket.severity or 0),
    )


def history(
    ticket: Ticket, events: HistoryRows | None = None, replies: Sequence[datetime] | None = None
) -> core_clocks.History:
    """What the clocks follow from. `events` ((kind, created_at, data), in order) and `replies`
    (when agents answered the client, in order) when a page has read them anyway; else they are
    read."""
    if events is None:
        events = Event.objects.history_rows(ticket.pk)
    if replies is None:
        replies = Message.objects.public_reply_times(ticket.pk)
    return core_clocks.History(
        received_at=_clock_start(ticket, events),
        claimed_severity=_first_level(ticket, events),
        reassessments=tuple(
            (at, read(data, Reassessed)["level"])
            for kind, at, data in events
            if kind == EventKind.REASSESSED
        ),
        public_replies=tuple(replies),
        documentation_done_at=_documentation_done(ticket),
        milestones=tuple(
            (at, read(data, MilestoneReached)["milestone"])
            for kind, at, data in events
            if kind == EventKind.MILESTONE
        ),
        waiting_periods=_waiting_periods(events),
    )


def _documentation_done(ticket: Ticket) -> datetime | None:
    """Asked only when the ticket's level has a documentation clock (level 4 by default)."""
    level = policy.targets().get(ticket.severity or 0)
    return hooks.documentation_done(ticket) if level and level.documentation else None


def _clock_start(ticket: Ticket, events: HistoryRows) -> datetime:
    """Clocks start at receipt; a ticket that had no usable level starts when it got one."""
    for kind, at, data in reversed(events):
        if kind == EventKind.REOPENED and read(data, Reopened).get("was") in (
            CloseReason.NO_SEVERITY,
            CloseReason.INVALID_SEVERITY,
        ):
            return at
    return ticket.received_at


def _first_level(ticket: Ticket, events: HistoryRows) -> int:
    for kind, _at, data in events:
        if kind == EventKind.REASSESSED:  # the level before the first reassessment
            reassessed = read(data, Reassessed)
            return reassessed.get("was") or reassessed["level"]
    return int(ticket.claimed_severity or ticket.severity or 0)


def _waiting_periods(
    events: HistoryRows,
) -> tuple[tuple[datetime, datetime | None], ...]:
    periods: list[tuple[datetime, datetime | None]] = []
    started: datetime | None = None
    for kind, at, _data in events:
        if kind in _PAUSING and started is None:
            started = at
        elif kind in _ENDING_PAUSE and started is not None:
            periods.append((started, at))
            started = None
    if started is not None:
        periods.append((started, None))
    return tuple(periods)


def _next_check(ticket: Ticket, current: core_clocks.ClockState | None) -> datetime | None:
    """The first 75% mark or due time not yet looked at by the sweep."""
    if current is None:
        return None
    after = ticket.clocks_checked_at or ticket.received_at
    thresholds = [t for d in current.deadlines for t in (d.warn_at, d.due) if t > after]
    return min(thresholds, default=None)


def refresh(ticket: Ticket, known: core_clocks.History | None = None) -> tuple[str, ...]:
    """Recompute the stored clock fields and the queue's key on `ticket` (not saved); returns
    their names."""
    current = state(ticket, known=known)
    rank = policy.effort_rank(ticket.severity)
    ticket.effort_rank = NO_EFFORT_RANK if rank is None else rank
    ticket.first_response_due = current.first_response_due if current else None
    ticket.next_update_due = current.next_update_due if current else None
    ticket.goal_due = current.goal_due if current else None
    ticket.documentation_due = current.documentation_due if current else None
    dues = [
        d
        for d in (
            ticket.first_response_due,
            ticket.next_update_due,
            ticket.goal_due,
            ticket.documentation_due,
        )
        if d is not None
    ]
    ticket.nearest_due = min(dues) if dues else None
    ticket.next_check_at = _next_check(ticket, current)
    ticket.clocks_paused = bool(current and current.paused)
    ticket.in_queue = ticket.is_open()
    return CLOCK_FIELDS
