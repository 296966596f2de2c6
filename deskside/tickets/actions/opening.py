"""Opening a ticket for a client's first message, from a mail, the portal or the desk."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside import db
from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.core.limits import HEADER_LINE
from deskside.tickets import clocks, events, notices
from deskside.tickets.actions._base import (
    SYSTEM,
    Actor,
    NewMessage,
    add_message,
    check_level,
    done,
)
from deskside.tickets.actions._record import record
from deskside.tickets.actions.alerts import escalate
from deskside.tickets.errors import ActionError
from deskside.tickets.models import (
    CloseReason,
    Door,
    EventKind,
    LinkKind,
    Message,
    Status,
    Ticket,
    TicketLink,
)
from deskside.tickets.models.choices import door_for


def open_ticket(
    *,
    contact: Contact,
    subject: str,
    claimed_severity: int | None,
    received_at: datetime,
    message: NewMessage,
    language: str | None = None,
    problem: CloseReason | None = None,
    by: Actor = SYSTEM,
    note: str = "",
    follows: Ticket | None = None,
    door: Door | None = None,
) -> Ticket:
    """Open a ticket for a first message; without a valid severity it is closed at once. The
    first message is the returned ticket's `posted` (the intake links its mail to it).

    `problem` is CloseReason.NO_SEVERITY or INVALID_SEVERITY when the subject had no usable
    level: the ticket is still kept, so that a reply with a level can reopen it (docs/protocol.md,
    A reply to a closed ticket).
    `note` goes into the history with the creation, e.g. where the ticket came from.
    `follows`: the closed ticket the client wrote to, too long after its close to reopen it.
    `door`: where it came in (the API says so), else read from the first message's kind.
    """
    if problem is None:
        check_level(claimed_severity)
    elif problem not in (CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY):
        raise ActionError(
            ErrorCode.OPENED_CLOSED_AS,
            _("A new ticket cannot be closed as %(reason)s."),
            reason=repr(problem.label),
        )
    ticket = Ticket(
        subject=subject[:HEADER_LINE],
        contact=contact,
        organisation_id=contact.organisation_id,
        claimed_severity=claimed_severity if problem is None else None,
        severity=claimed_severity if problem is None else None,
        language=language or contact.language,
        door=door or door_for(message.kind),
        received_at=received_at,
        status=Status.NEW if problem is None else Status.CLOSED,
        close_reason=problem or "",
        closed_at=timezone.now() if problem else None,
    )
    # Its clocks follow from what is known now (received, at a level), so they are part of the
    # INSERT instead of an UPDATE after reading back the history just written.
    clocks.refresh(ticket, known=clocks.first_history(ticket))
    # No savepoint: the checks that refuse are done, and an error here fails the caller's
    # transaction as a whole (the intake's, or this one when called on its own).
    with transaction.atomic(savepoint=False):
        db.insert(ticket)
        first = add_message(ticket, message)
        _record_creation(ticket, by, problem, note)
        if follows is not None:
            _follow_up(ticket, follows, first, by)
        if problem is None:
            escalate(ticket, why="new ticket")
    return done(ticket, ticket, posted=first)


def _record_creation(ticket: Ticket, by: Actor, problem: CloseReason | None, note: str) -> None:
    """The CREATED event, and the CLOSED one when the subject had no usable level."""
    created: events.Created = {"severity": ticket.severity, "subject": ticket.subject}
    if note:  # stored only when there is one, as before
        created["note"] = note
    record(ticket, EventKind.CREATED, by, **created)
    if problem:
        record(ticket, EventKind.CLOSED, by, reason=problem.value)


def _follow_up(ticket: Ticket, old: Ticket, first: Message, by: Actor) -> None:
    """Link a new ticket to the closed one it follows, both ways, and tell whoever had the old
    one that its client wrote again."""
    db.insert(
        TicketLink(source=ticket, target=old, kind=LinkKind.FOLLOW_UP, created_at=first.created_at)
    )
    record(ticket, EventKind.LINKED, by, follows=old.ref)
    record(old, EventKind.LINKED, by, followed_by=ticket.ref)
    if old.assignee is not None:
        notices.client_wrote(
            ticket,
            first,
            [old.assignee],
            what=f"Your client wrote again after {old.ref} was closed (a new ticket)",
        )
