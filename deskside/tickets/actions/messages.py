"""The conversation: a client's message (which may end a wait or reopen the ticket), an agent's
reply, an internal note, what Deskside itself files on a ticket, and held mail staff keep."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Unpack

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside.accounts.access import STAFF_ROLES
from deskside.core.clocks import short_duration
from deskside.core.errors import ErrorCode
from deskside.core.levels import ESCALATED_LEVELS
from deskside.core.limits import MAX_REFERENCES
from deskside.tickets import closed, duty, events, notices, notify, policy
from deskside.tickets.actions._base import (
    Actor,
    NewFile,
    NewMessage,
    check_open,
    conversation,
    done,
    lock,
    post,
    save,
    staff_user,
    to_client,
)
from deskside.tickets.actions._record import record
from deskside.tickets.actions.state import reopening
from deskside.tickets.errors import ActionError
from deskside.tickets.models import Direction, EventKind, Message, MessageKind, Status, Ticket


@transaction.atomic(savepoint=False)  # refuses nothing: an error fails the caller's transaction
def receive_from_client(
    ticket: Ticket, new: NewMessage, *, by: Actor, counts_as_answer: bool = True
) -> Ticket:
    """A message from the client. An answer ends a wait on the client and reopens a resolved
    ticket; an out-of-office reply (counts_as_answer=False) changes nothing. On a closed ticket
    the message is kept and shown, and reopening stays an agent's decision.

    A client's message to a closed ticket goes through `reopen_by_client` or, when the ticket
    was closed for want of a level and the message gives none, comes with the protocol's
    explanation: see deskside/tickets/closed.py. The agent who has the ticket is told of an
    answer (`who_hears`). `new.created_at` is when the message arrived: clocks resume from
    then. `by` is whoever sent it, `Actor.sender(new.sender)` for a mail."""
    row = lock(ticket)
    message = take_in(row, new, by, counts_as_answer=counts_as_answer)
    to = who_hears(row) if counts_as_answer and new.direction == Direction.INBOUND else []
    if to:
        notices.client_wrote(row, message, to)
    return done(row, ticket, posted=message)


def who_hears(ticket: Ticket) -> list[notify.Someone]:
    """Who is told of the client's message: the agent who has the ticket. When nobody (or a
    colleague who left) has an urgent one, the agents on duty: a client who writes again about
    a level-1 or level-2 problem is not left to the queue alone. Others wait in the queue."""
    has_one = ticket.assignee is not None and ticket.assignee.is_active
    urgent = ticket.severity in ESCALATED_LEVELS
    return duty.assignee_or_duty(ticket) if has_one or urgent else []


def take_in(
    ticket: Ticket,
    new: NewMessage,
    by: Actor,
    *,
    counts_as_answer: bool,
    **marks: Unpack[events.MessageMarks],
) -> Message:
    """The client's message on a locked ticket; an answer ends a wait and reopens a resolved
    ticket (shared by the replies, the reopening and the cooperation actions)."""
    message = post(ticket, new, by, **marks)
    changed: list[str] = []
    if counts_as_answer and ticket.status in (Status.WAITING_ON_CLIENT, Status.RESOLVED):
        record(ticket, EventKind.RESUMED, by, at=message.created_at, was=ticket.status)
        ticket.status = Status.OPEN
        changed.append("status")
    save(ticket, *changed)
    return message


@transaction.atomic(savepoint=False)  # refuses nothing: an error fails the caller's transaction
def reopen_by_client(
    ticket: Ticket, new: NewMessage, *, by: Actor, level: int | None = None
) -> Ticket:
    """A client's message reopens their closed ticket (deskside/tickets/closed.py says when): at
    `level` when it was closed for want of one. The reopening counts from when the message
    arrived (`new.created_at`). Whoever has the ticket, else the agents on duty, is told.
    `by` (the contact) reopens it; the message itself is recorded as from its sender."""
    row = lock(ticket)
    at = new.created_at or timezone.now()
    fixes_level = row.close_reason in closed.WITHOUT_LEVEL
    why = (
        "the client replied with a severity in the subject"
        if fixes_level
        else f"the client wrote {_since_close(row, at)} after the close"
    )
    # An urgent ticket nobody has is escalated (the agents on duty are alerted once, by that);
    # otherwise whoever has it, else the agents on duty, hear that the client's reply reopened it.
    escalates = fixes_level or (row.assignee is None and row.severity in ESCALATED_LEVELS)
    reopening(row, by, why, severity=level, at=at, escalate_it=escalates)
    message = take_in(row, new, Actor.sender(new.sender), counts_as_answer=True)
    if not escalates:
        to = duty.assignee_or_duty(row)
        notices.client_wrote(row, message, to, what="Your client's reply reopened the ticket")
    return done(row, ticket, posted=message)


def _since_close(ticket: Ticket, at: datetime) -> str:
    closed_at = ticket.closed_at or at
    return short_duration(policy.calendar().between(closed_at, at)) + " of business time"


@transaction.atomic
def reply(
    ticket: Ticket,
    text: str,
    *,
    by: Actor,
    html: str = "",
    files: Iterable[NewFile] = (),
) -> Ticket:
    """A public reply from an agent to the client; the first one meets the first-response clock."""
    row = lock(ticket)
    check_open(row, _("reply"))
    if not text.strip():
        raise ActionError(ErrorCode.EMPTY_REPLY, _("A reply needs some text."))
    staff_user(by, _("reply"))
    thread = conversation(row)
    message = to_client(row, MessageKind.REPLY, text, by, thread, html, files)
    notices.reply_to_client(row, message, thread[-MAX_REFERENCES:])
    changed = []
    if row.status == Status.NEW:
        row.status = Status.OPEN
        changed.append("status")
    save(row, *changed)
    return done(row, ticket, posted=message)


@transaction.atomic
def add_note(ticket: Ticket, text: str, *, by: Actor) -> Ticket:
    """An internal note: agents see it, clients never do, clocks ignore it."""
    row = lock(ticket)
    if not text.strip():
        raise ActionError(ErrorCode.EMPTY_NOTE, _("A note needs some text."))
    author = staff_user(by, _("add a note"))
    note = NewMessage(
        direction=Direction.INTERNAL, kind=MessageKind.NOTE, text=text, sender=by.label
    )
    message = post(row, note, by, author=author)
    mentioned = mentions(text)
    if mentioned:
        notices.mentioned(row, message, mentioned, by=author)
    return done(row, ticket, posted=message)


_MENTION = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


def mentions(text: str) -> list[User]:
    """The active staff a note names as `@username` (in any case)."""
    names = {name.rstrip(".").lower() for name in _MENTION.findall(text)}
    if not names:
        return []
    return list(
        User.objects.annotate(lower=Lower("username"))
        .filter(Q(groups__name__in=STAFF_ROLES) | Q(is_superuser=True), lower__in=names)
        .filter(is_active=True)
        .distinct()
    )


@transaction.atomic(savepoint=False)  # refuses nothing: an error fails the caller's transaction
def add_system_message(
    ticket: Ticket, new: NewMessage, *, by: Actor, locked: bool = False
) -> Ticket:
    """A message Deskside itself writes or files: an acknowledgement, a bounce, a notice.

    `locked`: the caller's transaction already holds the ticket's row (it opened the ticket, or
    changed it, in this transaction), so the row need not be read again under a lock."""
    row = ticket if locked else lock(ticket)
    return done(row, ticket, posted=post(row, new, by))


# -- held mail --------------------------------------------------------------------------------


@transaction.atomic
def record_held_mail(ticket: Ticket, *, by: Actor, what: str, mail: int) -> Ticket:
    """Staff decided on a held mail that claims this ticket (deskside/mail/quarantine.py): the
    history says who, which mail (InboundMail id) and what became of it."""
    row = lock(ticket)
    record(row, EventKind.HELD_MAIL, by, note=what, mail=mail)
    return done(row, ticket)


@transaction.atomic
def file_held_mail_as_note(
    ticket: Ticket, note: NewMessage, *, by: Actor, what: str, mail: int
) -> Ticket:
    """A held mail kept on the ticket as an internal note, its files with it: agents see it,
    clients never do, clocks ignore it, and nobody it names with @ is told (it is not ours)."""
    row = lock(ticket)
    if note.direction != Direction.INTERNAL:
        raise ActionError(
            ErrorCode.HELD_MAIL_NOT_PUBLIC,
            _("A held mail is filed as an internal note here, never for the client."),
        )
    message = post(row, note, by, author=staff_user(by, _("file a held mail")))
    record(row, EventKind.HELD_MAIL, by, note=what, mail=mail, message=message.pk)
    return done(row, ticket, posted=message)
