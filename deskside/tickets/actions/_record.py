"""record(): one Event row in a ticket's history, its `data` typed by its kind.

Each overload ties an EventKind to its payload (deskside/tickets/events.py), so that mypy checks
the keys and values an action writes. Private to deskside.tickets.actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

from django.utils import timezone

from deskside import db
from deskside.tickets import events as ev
from deskside.tickets import hooks, webhook_events
from deskside.tickets.models import Event, EventKind, Ticket

if TYPE_CHECKING:  # _base imports this module for record(); Actor is only an annotation here
    from deskside.tickets.actions._base import Actor


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.CREATED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Created],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.CLOSED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Closed],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.REOPENED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Reopened],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.RESOLVED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Resolved],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.STATUS],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.StatusChanged],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.ASSIGNED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Assigned],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.REASSESSED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Reassessed],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.MILESTONE],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.MilestoneReached],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.MESSAGE],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.MessageAdded],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.WAITING],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Waiting],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.RESUMED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Resumed],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.ClockAlert],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.REMINDER],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Reminder],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.REFUSED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Refused],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.ESCALATED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Escalated],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.LINKED],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.Linked],
) -> Event: ...


@overload
def record(
    ticket: Ticket,
    kind: Literal[EventKind.HELD_MAIL],
    by: Actor,
    *,
    at: datetime | None = None,
    **data: Unpack[ev.HeldMail],
) -> Event: ...


def record(
    ticket: Ticket, kind: EventKind, by: Actor, *, at: datetime | None = None, **data: Any
) -> Event:
    """`at`: when it happened for the protocol, if not now (a client's mail counts from when it
    arrived, however late Deskside got to it)."""
    written = Event(
        ticket=ticket,
        kind=kind,
        actor=by.user,
        actor_label=by.label,
        data=data,
        created_at=at or timezone.now(),
    )
    db.insert(written)
    hooks.changed(ticket.pk)  # in the action's transaction: the reports' rollup
    # In the same transaction: a webhook exists exactly when the event does.
    webhook_events.announce(ticket, written)
    return written
