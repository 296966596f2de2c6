"""What every action shares: who acts, what a new message says, the checks, the row lock, the
save with fresh clocks (the Event row is _record.py's, typed by its kind). Private to
deskside.tickets.actions; its names carry no underscore because the module itself is private.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Unpack

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside import db
from deskside.accounts.models import Contact
from deskside.accounts.names import display_name
from deskside.core.errors import ErrorCode
from deskside.core.levels import LEVELS
from deskside.core.limits import HEADER_LINE, WHO
from deskside.outbox.send import new_message_id
from deskside.tickets import clocks, events, notices, storage
from deskside.tickets.actions._record import record
from deskside.tickets.errors import ActionError
from deskside.tickets.models import (
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
)

if TYPE_CHECKING:  # the type of gettext_lazy's result exists in the stubs only
    from django.utils.functional import _StrPromise


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a staff user, a client, or Deskside itself. Every action takes one;
    `user` is set for staff only, and `label` is how the history names them."""

    label: str
    user: User | None = None

    @classmethod
    def staff(cls, user: User) -> Actor:
        return cls(label=display_name(user), user=user)

    @classmethod
    def client(cls, contact: Contact) -> Actor:
        return cls(label=contact.email)

    @classmethod
    def sender(cls, address: str) -> Actor:
        """Whoever sent a message, by the address it came from (a mail may come from another
        address than the contact's own)."""
        return cls(label=address or "client")


SYSTEM = Actor(label="Deskside")


@dataclass(frozen=True)
class NewFile:
    filename: str
    content_type: str
    payload: bytes
    content_id: str = ""


@dataclass(frozen=True)
class NewMessage:
    """What a message says; the action decides where it goes."""

    direction: Direction
    kind: MessageKind
    text: str
    sender: str = ""
    subject: str = ""
    visible_text: str = ""
    html: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    created_at: datetime | None = None
    files: tuple[NewFile, ...] = field(default_factory=tuple)
    authentication: str = ""  # a mail's Authentication-Results, as deskside/mail recorded them


# -- checks -----------------------------------------------------------------------------------


def check_level(level: object) -> int:
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise ActionError(
            ErrorCode.LEVEL_OUT_OF_RANGE,
            _("Severity must be 1, 2, 3 or 4, not %(level)s."),
            level=repr(level),
        )
    return level


def check_open(ticket: Ticket, doing: _StrPromise) -> None:
    """`doing`: what cannot be done, a lazy phrase that completes "cannot …" (the portal shows
    some of these refusals to clients, in their language)."""
    if ticket.status == Status.RESOLVED:
        why = _("%(ref)s is resolved: cannot %(doing)s.")
        raise ActionError(ErrorCode.TICKET_RESOLVED, why, ref=ticket.ref, doing=doing)
    if not ticket.is_open():
        why = _("%(ref)s is closed: cannot %(doing)s.")
        raise ActionError(ErrorCode.TICKET_CLOSED, why, ref=ticket.ref, doing=doing)


def staff_user(by: Actor, doing: _StrPromise) -> User:
    """The staff user behind `by`: what only a person of the desk writes (a reply, a note, a
    resolution, proposed steps) carries their name as its author."""
    if by.user is None:
        raise ActionError(ErrorCode.STAFF_ONLY, _("Only an agent can %(doing)s."), doing=doing)
    return by.user


# -- the row ----------------------------------------------------------------------------------


def lock(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so that concurrent actions apply one after another."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def done(row: Ticket, caller: Ticket, posted: Message | None = None) -> Ticket:
    """The ticket an action returns: the caller's own object, given the values of the row as the
    action left it (no read-back), so that the caller keeps working on one up-to-date object.
    `posted`: the message the action wrote, for a caller that links to it."""
    if caller is not row:
        for column in Ticket._meta.concrete_fields:
            setattr(caller, column.attname, getattr(row, column.attname))
    caller.last_posted = posted
    return caller


def save(ticket: Ticket, *fields: str) -> None:
    """Save the changed fields together with freshly computed clocks."""
    clock_fields = clocks.refresh(ticket)
    ticket.save(update_fields=[*fields, *clock_fields, "updated_at"])


# -- the conversation -------------------------------------------------------------------------


def add_message(ticket: Ticket, new: NewMessage, author: User | None = None) -> Message:
    message = Message(
        ticket=ticket,
        direction=new.direction,
        kind=new.kind,
        sender=new.sender[:WHO],
        author=author,
        subject=new.subject[:HEADER_LINE],
        text=new.text,
        visible_text=new.visible_text or new.text,
        html=new.html,
        message_id=new.message_id[:HEADER_LINE],
        in_reply_to=new.in_reply_to[:HEADER_LINE],
        created_at=new.created_at or timezone.now(),
        authentication=new.authentication[:200],
    )
    db.insert(message)
    for file in new.files:
        storage.save_attachment(
            message, file.filename, file.content_type, file.payload, file.content_id
        )
    return message


def post(
    ticket: Ticket,
    new: NewMessage,
    by: Actor,
    *,
    author: User | None = None,
    **data: Unpack[events.MessageMarks],
) -> Message:
    """Add a message to the conversation with the Event that shows it in the history (`data`
    marks what the message means beyond its words, such as steps_worked)."""
    message = add_message(ticket, new, author)
    record(ticket, EventKind.MESSAGE, by, message_kind=new.kind, message=message.pk, **data)
    return message


def to_client(
    ticket: Ticket,
    kind: MessageKind,
    text: str,
    by: Actor,
    thread: list[str],
    html: str = "",
    files: Iterable[NewFile] = (),
) -> Message:
    """A public message from an agent, threaded under the conversation, with its Event."""
    new = NewMessage(
        direction=Direction.OUTBOUND,
        kind=kind,
        text=text,
        html=html,
        sender=by.label,
        subject=f"[{ticket.ref}] {ticket.subject}",
        message_id=new_message_id(),
        in_reply_to=thread[-1] if thread else "",
        files=tuple(files),
    )
    return post(ticket, new, by, author=by.user)


def conversation(ticket: Ticket) -> list[str]:
    """The Message-IDs of the conversation, oldest first: a mail to the client threads under it."""
    return list(
        ticket.messages.exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )


def filed(mail: notices.ClientMail, kind: MessageKind) -> NewMessage:
    """A mail Deskside sent the client, as a message of the conversation."""
    return NewMessage(
        direction=Direction.OUTBOUND,
        kind=kind,
        text=mail.text,
        sender=SYSTEM.label,
        subject=mail.subject,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
    )
