"""Alerts Deskside raises on its own: the clock warnings and breaches a sweep finds, and the
escalation of an urgent ticket to the agents on duty."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db import transaction

from deskside.core.levels import ESCALATED_LEVELS
from deskside.tickets import clocks, duty, notices
from deskside.tickets.actions._base import SYSTEM, Actor, done, lock, save
from deskside.tickets.actions._record import record
from deskside.tickets.events import ClockAlert, read
from deskside.tickets.models import Event, EventKind, Ticket

# The two kinds an alert is recorded as; both store an events.ClockAlert.
AlertKind = Literal[EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH]


@transaction.atomic
def record_clock_alerts(ticket: Ticket, now: datetime, *, by: Actor = SYSTEM) -> Ticket:
    """Record the 75% warnings and the breaches that `now` has reached, once each, and tell the
    assignee and the leads. Called by the periodic sweep for tickets whose check is due."""
    row = lock(ticket)
    current = clocks.state(row, now)
    if current is not None:
        seen = _alerted(row)
        for deadline in current.deadlines:
            marks: tuple[tuple[AlertKind, datetime], ...] = (
                (EventKind.CLOCK_WARNING, deadline.warn_at),
                (EventKind.CLOCK_BREACH, deadline.due),
            )
            for kind, at in marks:
                due = deadline.due.isoformat()
                if at <= now and (kind, deadline.clock, due) not in seen:
                    record(row, kind, by, clock=deadline.clock, due=due)
                    notices.clock_alert(row, kind, deadline.clock.words, deadline.due)
    row.clocks_checked_at = now
    save(row)
    return done(row, ticket)


def _alerted(ticket: Ticket) -> set[tuple[str, object, object]]:
    """The alerts already recorded, by kind, clock and due time: each is raised once."""
    seen: set[tuple[str, object, object]] = set()
    for e in ticket.events.filter(kind__in=(EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH)):
        alert = read(e.data, ClockAlert)
        seen.add((e.kind, alert.get("clock"), alert.get("due")))
    return seen


def escalate(ticket: Ticket, *, why: str) -> Event | None:
    """A level-1 or level-2 ticket alerts the agents on duty at once (a mail to the "duty"
    group, or to every agent while it is empty); the desk highlights it until someone takes it.
    Part of the action that opened, reopened or raised the ticket, not an action of its own."""
    if ticket.severity not in ESCALATED_LEVELS or not ticket.is_open():
        return None
    to, group = duty.on_duty()
    event = record(ticket, EventKind.ESCALATED, SYSTEM, level=ticket.severity, why=why, to=group)
    duty.escalation(ticket, to, why=why)
    return event
