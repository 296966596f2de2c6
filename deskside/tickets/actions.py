"""Every change to a ticket goes through one of these functions.

Each action checks that the change is allowed by the protocol's state machine, writes the
change and its Event in one transaction, recomputes the clocks, and queues what must follow.
A refused change raises ActionError with a sentence for the person who asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from deskside import db
from deskside.accounts.access import STAFF_ROLES
from deskside.accounts.models import Contact
from deskside.accounts.names import display_name
from deskside.core.clocks import short_duration
from deskside.outbox.send import new_message_id
from deskside.tickets import clocks, closed, cooperation, hooks, notices, policy, storage
from deskside.tickets.evidence import evidence_of
from deskside.tickets.models import (
    CloseReason,
    Direction,
    Event,
    EventKind,
    LinkKind,
    Message,
    MessageKind,
    Milestone,
    Status,
    Ticket,
    TicketLink,
)

LEVELS = (1, 2, 3, 4)
ESCALATED_LEVELS = (1, 2)  # a new ticket at these levels alerts the agents on duty at once
REFUSAL_SOURCES = ("portal", "mail")


class ActionError(Exception):
    """A change the protocol does not allow; the message says why, for a person."""


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a staff user, a client, or Deskside itself."""

    label: str
    user: User | None = None

    @classmethod
    def staff(cls, user: User) -> Actor:
        return cls(label=display_name(user), user=user)

    @classmethod
    def client(cls, contact: Contact) -> Actor:
        return cls(label=contact.email)


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
        raise ActionError(f"Severity must be 1, 2, 3 or 4, not {level!r}.")
    return level


def _check_open(ticket: Ticket, doing: str) -> None:
    if not ticket.is_open():
        raise ActionError(f"{ticket.ref} is {ticket.get_status_display().lower()}: cannot {doing}.")


def _locked(ticket: Ticket) -> Ticket:
    """Re-read the ticket under a row lock so that concurrent actions apply one after another."""
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _event(
    ticket: Ticket, kind: EventKind, by: Actor, *, at: datetime | None = None, **data: Any
) -> Event:
    """`at`: when it happened for the protocol, if not now (a client's mail counts from when it
    arrived, however late Deskside got to it)."""
    return Event(
        ticket=ticket,
        kind=kind,
        actor=by.user,
        actor_label=by.label,
        data=data,
        created_at=at or timezone.now(),
    )


def _copy_row(source: Ticket, *, into: Ticket) -> None:
    """Give the caller's object the values of the row as an action left it (no read-back)."""
    if into is not source:
        for column in Ticket._meta.concrete_fields:
            setattr(into, column.attname, getattr(source, column.attname))


def _record(
    ticket: Ticket, kind: EventKind, by: Actor, *, at: datetime | None = None, **data: Any
) -> Event:
    event = _event(ticket, kind, by, at=at, **data)
    db.insert(event)
    return event


def _save(ticket: Ticket, *fields: str) -> None:
    """Save the changed fields together with freshly computed clocks."""
    clock_fields = clocks.refresh(ticket)
    ticket.save(update_fields=[*fields, *clock_fields, "updated_at"])


# -- creating ---------------------------------------------------------------------------------


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
) -> Ticket:
    """Open a ticket for a first message; without a valid severity it is closed at once.

    `problem` is CloseReason.NO_SEVERITY or INVALID_SEVERITY when the subject had no usable
    level: the ticket is still kept, so that a reply with a level can reopen it (docs/protocol.md,
    A reply to a closed ticket).
    `note` goes into the history with the creation, e.g. where the ticket came from.
    `follows`: the closed ticket the client wrote to, too long after its close to reopen it.
    """
    ticket, _first = open_ticket_with_message(
        contact=contact,
        subject=subject,
        claimed_severity=claimed_severity,
        received_at=received_at,
        message=message,
        language=language,
        problem=problem,
        by=by,
        note=note,
        follows=follows,
    )
    return ticket


def open_ticket_with_message(
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
) -> tuple[Ticket, Message]:
    """`open_ticket`, also returning the first message (the intake links its mail to it)."""
    if problem is None:
        check_level(claimed_severity)
    elif problem not in (CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY):
        raise ActionError(f"A new ticket cannot be closed as {problem.label!r}.")
    ticket = Ticket(
        subject=subject[:998],
        contact=contact,
        organisation_id=contact.organisation_id,
        claimed_severity=claimed_severity if problem is None else None,
        severity=claimed_severity if problem is None else None,
        language=language or contact.language,
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
        first = _add_message(ticket, message)
        about: dict[str, Any] = {"note": note} if note else {}
        events = [
            _event(
                ticket,
                EventKind.CREATED,
                by,
                severity=ticket.severity,
                subject=ticket.subject,
                **about,
            )
        ]
        if problem:
            events.append(_event(ticket, EventKind.CLOSED, by, reason=problem.value))
        for event in events:
            db.insert(event)
        if follows is not None:
            _follow_up(ticket, follows, first, by)
        if problem is None:
            _escalate(ticket, why="new ticket")
    return ticket, first


def _follow_up(ticket: Ticket, old: Ticket, first: Message, by: Actor) -> None:
    """Link a new ticket to the closed one it follows, both ways, and tell whoever had the old
    one that its client wrote again."""
    db.insert(
        TicketLink(source=ticket, target=old, kind=LinkKind.FOLLOW_UP, created_at=first.created_at)
    )
    _record(ticket, EventKind.LINKED, by, follows=old.ref)
    _record(old, EventKind.LINKED, by, followed_by=ticket.ref)
    if old.assignee is not None:
        notices.client_wrote(
            ticket,
            first,
            [old.assignee],
            what=f"Your client wrote again after {old.ref} was closed (a new ticket)",
        )


def _add_message(ticket: Ticket, new: NewMessage, author: User | None = None) -> Message:
    message = Message(
        ticket=ticket,
        direction=new.direction,
        kind=new.kind,
        sender=new.sender[:320],
        author=author,
        subject=new.subject[:998],
        text=new.text,
        visible_text=new.visible_text or new.text,
        html=new.html,
        message_id=new.message_id[:998],
        in_reply_to=new.in_reply_to[:998],
        created_at=new.created_at or timezone.now(),
        authentication=new.authentication[:200],
    )
    db.insert(message)
    for file in new.files:
        storage.save_attachment(
            message, file.filename, file.content_type, file.payload, file.content_id
        )
    return message


# -- messages ---------------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # refuses nothing: an error fails the caller's transaction
def receive_from_client(
    ticket: Ticket, new: NewMessage, *, counts_as_answer: bool = True
) -> Message:
    """A message from the client. An answer ends a wait on the client and reopens a resolved
    ticket; an out-of-office reply (counts_as_answer=False) changes nothing. On a closed ticket
    the message is kept and shown, and reopening stays an agent's decision.

    A client's message to a closed ticket goes through `reopen_by_client` or, when the ticket
    was closed for want of a level and the message gives none, comes with the protocol's
    explanation: see deskside/tickets/closed.py. The agent who has the ticket is told of an
    answer. `new.created_at` is when the message arrived: clocks resume from then.

    The ticket object passed in is brought up to date with the row as the action leaves it."""
    locked = _locked(ticket)
    message = _receive(locked, new, counts_as_answer=counts_as_answer)
    if counts_as_answer and locked.assignee is not None and new.direction == Direction.INBOUND:
        notices.client_wrote(locked, message, [locked.assignee])
    _copy_row(locked, into=ticket)
    return message


def _receive(ticket: Ticket, new: NewMessage, *, counts_as_answer: bool, **data: Any) -> Message:
    message = _add_message(ticket, new)
    client = Actor(label=new.sender or "client")
    _record(ticket, EventKind.MESSAGE, client, message_kind=new.kind, message=message.pk, **data)
    changed: list[str] = []
    if counts_as_answer and ticket.status in (Status.WAITING_ON_CLIENT, Status.RESOLVED):
        _record(ticket, EventKind.RESUMED, client, at=message.created_at, was=ticket.status)
        ticket.status = Status.OPEN
        changed.append("status")
    _save(ticket, *changed)
    return message


@transaction.atomic(savepoint=False)  # refuses nothing: an error fails the caller's transaction
def reopen_by_client(
    ticket: Ticket, new: NewMessage, *, contact: Contact, level: int | None = None
) -> Message:
    """A client's message reopens their closed ticket (deskside/tickets/closed.py says when): at
    `level` when it was closed for want of one. The reopening counts from when the message
    arrived (`new.created_at`). Whoever has the ticket, else the agents on duty, is told.

    The ticket object passed in is brought up to date with the row as the action leaves it."""
    locked = _locked(ticket)
    at = new.created_at or timezone.now()
    fixes_level = locked.close_reason in closed.WITHOUT_LEVEL
    why = (
        "the client replied with a severity in the subject"
        if fixes_level
        else f"the client wrote {_since_close(locked, at)} after the close"
    )
    # An urgent ticket nobody has is escalated (the agents on duty are alerted once, by that);
    # otherwise whoever has it, else the agents on duty, hear that the client's reply reopened it.
    escalates = fixes_level or (locked.assignee is None and locked.severity in ESCALATED_LEVELS)
    _reopen(locked, Actor.client(contact), why, severity=level, at=at, escalate=escalates)
    message = _receive(locked, new, counts_as_answer=True)
    if not escalates:
        to = notices.assignee_or_duty(locked)
        notices.client_wrote(locked, message, to, what="Your client's reply reopened the ticket")
    _copy_row(locked, into=ticket)
    return message


def _since_close(ticket: Ticket, at: datetime) -> str:
    closed_at = ticket.closed_at or at
    return short_duration(policy.calendar().between(closed_at, at)) + " of business time"


@transaction.atomic
def reply(
    ticket: Ticket,
    text: str,
    *,
    by: User,
    html: str = "",
    files: Iterable[NewFile] = (),
) -> Message:
    """A public reply from an agent to the client; the first one meets the first-response clock."""
    ticket = _locked(ticket)
    _check_open(ticket, "reply")
    if not text.strip():
        raise ActionError("A reply needs some text.")
    actor = Actor.staff(by)
    thread = conversation(ticket)
    message = _to_client(ticket, MessageKind.REPLY, text, actor, by, thread, html, files)
    notices.reply_to_client(ticket, message, thread[-20:])
    changed = []
    if ticket.status == Status.NEW:
        ticket.status = Status.OPEN
        changed.append("status")
    _save(ticket, *changed)
    return message


def _to_client(
    ticket: Ticket,
    kind: MessageKind,
    text: str,
    actor: Actor,
    author: User,
    thread: list[str],
    html: str = "",
    files: Iterable[NewFile] = (),
) -> Message:
    """A public message from an agent, threaded under the conversation, with its Event."""
    message = _add_message(
        ticket,
        NewMessage(
            direction=Direction.OUTBOUND,
            kind=kind,
            text=text,
            html=html,
            sender=actor.label,
            subject=f"[{ticket.ref}] {ticket.subject}",
            message_id=new_message_id(),
            in_reply_to=thread[-1] if thread else "",
            files=tuple(files),
        ),
        author=author,
    )
    _record(ticket, EventKind.MESSAGE, actor, message_kind=kind, message=message.pk)
    return message


def conversation(ticket: Ticket) -> list[str]:
    """The Message-IDs of the conversation, oldest first: a mail to the client threads under it."""
    return list(
        ticket.messages.exclude(message_id="")
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )


@transaction.atomic
def add_note(ticket: Ticket, text: str, *, by: User) -> Message:
    """An internal note: agents see it, clients never do, clocks ignore it."""
    ticket = _locked(ticket)
    if not text.strip():
        raise ActionError("A note needs some text.")
    actor = Actor.staff(by)
    message = _add_message(
        ticket,
        NewMessage(
            direction=Direction.INTERNAL, kind=MessageKind.NOTE, text=text, sender=actor.label
        ),
        author=by,
    )
    _record(ticket, EventKind.MESSAGE, actor, message_kind=MessageKind.NOTE, message=message.pk)
    mentioned = mentions(text)
    if mentioned:
        notices.mentioned(ticket, message, mentioned, by=by)
    return message


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
def add_system_message(ticket: Ticket, new: NewMessage, *, locked: bool = False) -> Message:
    """A message Deskside itself writes or files: an acknowledgement, a bounce, a notice.

    `locked`: the caller's transaction already holds the ticket's row (it opened the ticket, or
    changed it, in this transaction), so the row need not be read again under a lock."""
    if not locked:
        ticket = _locked(ticket)
    message = _add_message(ticket, new)
    _record(ticket, EventKind.MESSAGE, SYSTEM, message_kind=new.kind, message=message.pk)
    return message


# -- held mail --------------------------------------------------------------------------------


@transaction.atomic
def record_held_mail(ticket: Ticket, *, by: User, what: str, mail: int) -> Event:
    """Staff decided on a held mail that claims this ticket (deskside/mail/quarantine.py): the
    history says who, which mail (InboundMail id) and what became of it."""
    ticket = _locked(ticket)
    return _record(ticket, EventKind.HELD_MAIL, Actor.staff(by), note=what, mail=mail)


@transaction.atomic
def file_held_mail_as_note(
    ticket: Ticket, note: NewMessage, *, by: User, what: str, mail: int
) -> Message:
    """A held mail kept on the ticket as an internal note, its files with it: agents see it,
    clients never do, clocks ignore it, and nobody it names with @ is told (it is not ours)."""
    ticket = _locked(ticket)
    if note.direction != Direction.INTERNAL:
        raise ActionError("A held mail is filed as an internal note here, never for the client.")
    actor = Actor.staff(by)
    message = _add_message(ticket, note, author=by)
    _record(ticket, EventKind.MESSAGE, actor, message_kind=note.kind, message=message.pk)
    _record(ticket, EventKind.HELD_MAIL, actor, note=what, mail=mail, message=message.pk)
    return message


# -- state ------------------------------------------------------------------------------------


@transaction.atomic
def close(
    ticket: Ticket,
    reason: CloseReason | str,
    *,
    by: Actor,
    note: str = "",
    client_text: str = "",
) -> Ticket:
    """Close with a reason. `note` is for the history (agents only); `client_text` goes into
    the mail that tells the client, which only an out-of-scope close sends (docs/protocol.md,
    Out of scope)."""
    ticket = _locked(ticket)
    if not reason:
        raise ActionError("Closing needs a reason.")
    if reason not in CloseReason.values:
        raise ActionError(
            f"{reason!r} is not a close reason: use one of {', '.join(CloseReason.values)}."
        )
    if ticket.status == Status.CLOSED:
        raise ActionError(f"{ticket.ref} is already closed.")
    if client_text.strip() and reason != CloseReason.OUT_OF_SCOPE:
        raise ActionError(
            f"Closing as {CloseReason(reason).label.lower()} sends the client no mail: leave the "
            "text for the client empty (or reply first)."
        )
    missing = evidence_of(ticket).missing_for(reason) or hooks.close_refusal(ticket, reason)
    if missing:
        raise ActionError(missing)
    _close(ticket, CloseReason(reason), by, note=note)
    if reason == CloseReason.OUT_OF_SCOPE:
        # docs/protocol.md, Out of scope: the client is told, in their language, from a template.
        thread = conversation(ticket)[-20:]
        sent = notices.closed_out_of_scope(ticket, thread, client_text=client_text)
        add_system_message(ticket, filed(sent, MessageKind.CLOSURE), locked=True)
    return ticket


def _close(ticket: Ticket, reason: CloseReason, by: Actor, **data: Any) -> None:
    ticket.status = Status.CLOSED
    ticket.close_reason = reason
    ticket.closed_at = timezone.now()
    _record(ticket, EventKind.CLOSED, by, reason=ticket.close_reason, **data)
    _save(ticket, "status", "close_reason", "closed_at")


@transaction.atomic
def reopen(ticket: Ticket, *, by: Actor, reason: str, severity: int | None = None) -> Ticket:
    """Reopen a closed or resolved ticket, optionally at a level."""
    ticket = _locked(ticket)
    _reopen(ticket, by, reason, severity=severity)
    return ticket


def _reopen(
    ticket: Ticket,
    by: Actor,
    reason: str,
    *,
    severity: int | None,
    at: datetime | None = None,
    escalate: bool = True,
) -> None:
    if ticket.status not in (Status.CLOSED, Status.RESOLVED):
        raise ActionError(
            f"{ticket.ref} is {ticket.get_status_display().lower()}: only a closed or resolved "
            "ticket can be reopened."
        )
    if not reason.strip():
        raise ActionError("Reopening needs a reason.")
    if severity is not None:
        check_level(severity)
        ticket.claimed_severity = ticket.severity = severity
    if ticket.severity is None:
        raise ActionError(f"{ticket.ref} has no severity: reopen it with a level 1-4.")
    _record(
        ticket,
        EventKind.REOPENED,
        by,
        at=at,
        reason=reason,
        was=ticket.close_reason or ticket.status,
        severity=ticket.severity,
    )
    ticket.status = Status.OPEN
    ticket.close_reason = ""
    ticket.closed_at = None
    _save(ticket, "status", "close_reason", "closed_at", "claimed_severity", "severity")
    if escalate:
        _escalate(ticket, why="reopened")


@transaction.atomic
def resolve(ticket: Ticket, resolution: str, *, by: User) -> Message:
    """Mark the ticket resolved and mail the client the resolution, in the ticket's language,
    with how to reopen it: an answer, by mail or in the portal, reopens a resolved ticket
    (receive_from_client). Only a ticket whose client has had a public reply can be resolved."""
    ticket = _locked(ticket)
    _check_open(ticket, "resolve it")
    if not ticket.has_public_reply():
        raise ActionError(
            f"{ticket.ref} has had no public reply: answer the client (a reply or proposed "
            "steps) before marking it resolved."
        )
    if not resolution.strip():
        raise ActionError("Resolving needs a resolution: what was done, for the client.")
    actor = Actor.staff(by)
    thread = conversation(ticket)
    message = _to_client(ticket, MessageKind.RESOLUTION, resolution, actor, by, thread)
    _record(ticket, EventKind.RESOLVED, actor, was=ticket.status, message=message.pk)
    ticket.status = Status.RESOLVED
    _save(ticket, "status")
    notices.resolved(ticket, message, thread[-20:])
    return message


@transaction.atomic
def wait_on_client(ticket: Ticket, *, by: Actor, note: str = "") -> Ticket:
    """The ticket waits for the client: every clock pauses until the client answers."""
    ticket = _locked(ticket)
    _check_open(ticket, "wait on the client")
    if ticket.status == Status.WAITING_ON_CLIENT:
        raise ActionError(f"{ticket.ref} is already waiting on the client.")
    _record(ticket, EventKind.WAITING, by, note=note)
    ticket.status = Status.WAITING_ON_CLIENT
    _save(ticket, "status")
    return ticket


@transaction.atomic
def assign(ticket: Ticket, assignee: User | None, *, by: Actor) -> Ticket:
    ticket = _locked(ticket)
    if assignee is not None and not assignee.is_active:
        raise ActionError(f"{assignee.get_username()} is not an active user.")
    if ticket.assignee_id == (assignee.pk if assignee else None):
        raise ActionError(f"{ticket.ref} is already assigned so.")
    _record(ticket, EventKind.ASSIGNED, by, to=assignee.get_username() if assignee else None)
    ticket.assignee = assignee
    _save(ticket, "assignee")
    if assignee is not None:
        notices.assigned(ticket, assignee, by=by.user)
    return ticket


@transaction.atomic
def reassess(ticket: Ticket, level: int, *, reason: str, by: Actor) -> Ticket:
    """Change the assessed severity; the client's claimed severity stays as given."""
    ticket = _locked(ticket)
    check_level(level)
    _check_open(ticket, "reassess it")
    if not reason.strip():
        raise ActionError("A reassessment needs a reason.")
    if ticket.severity == level:
        raise ActionError(f"{ticket.ref} is already at level {level}.")
    was = ticket.severity
    _record(ticket, EventKind.REASSESSED, by, was=was, level=level, reason=reason)
    ticket.severity = level
    _save(ticket, "severity")
    if was is None or level < was:  # raised: to 1 or 2 it alerts the agents on duty
        _escalate(ticket, why=f"reassessed from level {was}")
    return ticket


@transaction.atomic
def record_milestone(ticket: Ticket, milestone: Milestone | str, *, by: Actor) -> Ticket:
    ticket = _locked(ticket)
    _check_open(ticket, "record a milestone")
    if milestone not in Milestone.values:
        raise ActionError(
            f"{milestone!r} is not a milestone: use one of {', '.join(Milestone.values)}."
        )
    allowed = policy.level(ticket.severity).goal_milestones if ticket.severity else []
    if milestone not in allowed:
        raise ActionError(
            f"Level {ticket.severity} goals are met by {', '.join(allowed) or 'nothing'}, "
            f"not by {milestone}."
        )
    _record(ticket, EventKind.MILESTONE, by, milestone=milestone)
    ticket.milestone = Milestone(milestone)
    _save(ticket, "milestone")
    return ticket


# -- clocks -----------------------------------------------------------------------------------

_CLOCK_NAMES = {
    "first_response": "first response",
    "next_update": "next update",
    "goal": "goal",
    "documentation": "documentation",
}


@transaction.atomic
def record_clock_alerts(ticket: Ticket, now: datetime) -> list[Event]:
    """Record the 75% warnings and the breaches that `now` has reached, once each, and tell the
    assignee and the leads. Called by the periodic sweep for tickets whose check is due."""
    ticket = _locked(ticket)
    current = clocks.state(ticket, now)
    recorded: list[Event] = []
    if current is not None:
        seen = {
            (e.kind, e.data.get("clock"), e.data.get("due"))
            for e in ticket.events.filter(
                kind__in=(EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH)
            )
        }
        for deadline in current.deadlines:
            for kind, at in (
                (EventKind.CLOCK_WARNING, deadline.warn_at),
                (EventKind.CLOCK_BREACH, deadline.due),
            ):
                key = (kind, deadline.clock, deadline.due.isoformat())
                if at <= now and key not in seen:
                    recorded.append(
                        _record(
                            ticket, kind, SYSTEM, clock=deadline.clock, due=deadline.due.isoformat()
                        )
                    )
                    notices.clock_alert(ticket, kind, _CLOCK_NAMES[deadline.clock], deadline.due)
    ticket.clocks_checked_at = now
    _save(ticket)
    return recorded


# -- escalation -------------------------------------------------------------------------------


def _escalate(ticket: Ticket, *, why: str) -> Event | None:
    """A level-1 or level-2 ticket alerts the agents on duty at once (a mail to the "duty"
    group, or to every agent while it is empty); the desk highlights it until someone takes it."""
    if ticket.severity not in ESCALATED_LEVELS or not ticket.is_open():
        return None
    to, group = notices.on_duty()
    event = _record(ticket, EventKind.ESCALATED, SYSTEM, level=ticket.severity, why=why, to=group)
    notices.escalation(ticket, to, why=why)
    return event


# -- cooperation ------------------------------------------------------------------------------


@transaction.atomic
def propose_steps(ticket: Ticket, steps: str, *, by: User) -> Message:
    """Propose steps for the client: mailed in the ticket's language, and the ticket waits on
    the client (every clock pauses) until they answer, by mail or in the portal. Silence brings
    reminders and, in the end, the close as client_unavailable (deskside/tickets/cooperation.py).
    A proposal counts as a public reply: it meets the first-response and update clocks."""
    ticket = _locked(ticket)
    _check_open(ticket, "propose steps")
    if not steps.strip():
        raise ActionError("Proposed steps need some text: what should the client do?")
    actor = Actor.staff(by)
    thread = conversation(ticket)
    message = _to_client(ticket, MessageKind.PROPOSAL, steps, actor, by, thread)
    # A new proposal starts a new silence, even on a ticket that already waits: the WAITING
    # event is where reminders count from (a second one does not disturb the paused clocks).
    waiting = _record(ticket, EventKind.WAITING, actor, note="proposed steps", proposal=message.pk)
    ticket.status = Status.WAITING_ON_CLIENT
    _save(ticket, "status")
    notices.proposal(ticket, message, thread[-20:], _schedule(ticket, waiting.created_at))
    return message


def _schedule(ticket: Ticket, since: datetime) -> list[datetime]:
    """When the two reminders and the close fall if the client stays silent from `since`."""
    calendar = policy.calendar()
    periods = policy.level(int(ticket.severity or 0)).cooperation_periods()
    return [calendar.add(since, period) for period in periods]


@transaction.atomic
def record_refusal(
    ticket: Ticket,
    *,
    by: Actor,
    reason: str = "",
    source: str,
    message: Message | None = None,
) -> Event:
    """The client refuses the proposed steps: in the portal (source "portal", with an optional
    reason), or an agent marks the client's mail as a refusal (source "mail", `message`).

    A refusal is an answer: a ticket waiting on the client resumes its clocks, and the agent
    decides what follows (other steps, or the close as client_refused)."""
    ticket = _locked(ticket)
    if source not in REFUSAL_SOURCES:
        raise ActionError(f"A refusal comes from the portal or a mail, not {source!r}.")
    _check_open(ticket, "record a refusal")
    if not ticket.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL).exists():
        raise ActionError(f"{ticket.ref} has no proposed steps to refuse.")
    reason = reason.strip()[:2000]
    if source == "mail":
        if message is None or message.ticket_id != ticket.pk:
            raise ActionError(f"Choose a mail of {ticket.ref} from the client to mark.")
        if message.direction != Direction.INBOUND:
            raise ActionError("Only a message from the client can be a refusal.")
        if ticket.events.filter(kind=EventKind.REFUSED, data__message=message.pk).exists():
            raise ActionError("This mail is already marked as a refusal.")
        reason = reason or " ".join((message.visible_text or message.text).split())[:500]
    else:
        message = _add_message(
            ticket,
            NewMessage(
                direction=Direction.INBOUND,
                kind=MessageKind.REFUSAL,
                text=reason,
                sender=by.label,
                subject=f"Re: [{ticket.ref}] {ticket.subject}",
            ),
        )
        _record(ticket, EventKind.MESSAGE, by, message_kind=MessageKind.REFUSAL, message=message.pk)
    refused = _record(
        ticket, EventKind.REFUSED, by, reason=reason, source=source, message=message.pk
    )
    changed: list[str] = []
    if ticket.status == Status.WAITING_ON_CLIENT:
        _record(ticket, EventKind.RESUMED, by, was=ticket.status)
        ticket.status = Status.OPEN
        changed.append("status")
    _save(ticket, *changed)
    notices.refused(ticket, _who_proposed(ticket), reason=reason, by=by.user)
    return refused


@transaction.atomic
def record_steps_worked(ticket: Ticket, *, contact: Contact, text: str) -> Message:
    """The client says the proposed steps worked (the portal's button beside "refuse"). It is an
    answer like any reply: a wait on the client ends and the clocks resume, because the agent
    still has to record the milestone and resolve. `text` is the sentence in the client's
    language, kept as their message; the event marks it (steps_worked) so that the portal stops
    offering the same steps. The agent with the ticket, else the one who proposed, is told."""
    locked = _locked(ticket)
    _check_open(locked, "say the steps worked")
    if not locked.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL).exists():
        raise ActionError(f"{locked.ref} has no proposed steps.")
    new = NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.WEB,
        text=text,
        sender=contact.email,
        subject=f"Re: [{locked.ref}] {locked.subject}",
    )
    message = _receive(locked, new, counts_as_answer=True, steps_worked=True)
    notices.client_wrote(
        locked, message, _who_proposed(locked), what="The client says the steps worked"
    )
    _copy_row(locked, into=ticket)
    return message


def _who_proposed(ticket: Ticket) -> list[User]:
    """Who hears of a refusal: the agent who has the ticket, else the one who proposed."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    proposal = (
        ticket.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL)
        .exclude(author=None)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )
    return [proposal.author] if proposal and proposal.author else []


@transaction.atomic
def remind_or_close(ticket: Ticket, now: datetime) -> Event | None:
    """The cooperation sweep's step for one ticket waiting on the client: the next reminder
    (Event REMINDER with its number, a mail in the client's language) or, after the last
    period, the close as client_unavailable with a final mail. Nothing when none is due."""
    ticket = _locked(ticket)
    silence = cooperation.silence_of(ticket)
    if silence is None or ticket.severity is None:
        return None
    periods = policy.level(ticket.severity).cooperation_periods()
    step = cooperation.next_step(silence, periods, policy.calendar())
    if step.due > now:
        return None
    thread = conversation(ticket)
    proposal = (
        ticket.messages.filter(direction=Direction.OUTBOUND, kind=MessageKind.PROPOSAL)
        .order_by("-created_at", "-id")
        .first()
    )
    if step.closes:
        _close(
            ticket,
            CloseReason.CLIENT_UNAVAILABLE,
            SYSTEM,
            note=f"No answer since {silence.since.isoformat()}, after {len(silence.reminders)} "
            "reminders.",
            waiting_since=silence.since.isoformat(),
        )
        sent = notices.closed_unavailable(ticket, thread[-20:], since=silence.since)
        add_system_message(ticket, filed(sent, MessageKind.CLOSURE), locked=True)
        return ticket.events.filter(kind=EventKind.CLOSED).latest("created_at", "id")
    close_at = _schedule_close(silence.since, now, step.number, periods)
    sent = notices.reminder(
        ticket,
        thread[-20:],
        number=step.number,
        since=silence.since,
        proposal=proposal,
        close_at=close_at,
    )
    message = add_system_message(ticket, filed(sent, MessageKind.REMINDER), locked=True)
    return _record(
        ticket,
        EventKind.REMINDER,
        SYSTEM,
        number=step.number,
        waiting_since=silence.since.isoformat(),
        message=message.pk,
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


def _schedule_close(
    since: datetime,
    now: datetime,
    number: int,
    periods: tuple[timedelta, timedelta, timedelta],
) -> datetime:
    """When the ticket closes without an answer, as the reminder being sent tells the client."""
    calendar = policy.calendar()
    return max(calendar.add(since, periods[2]), calendar.add(now, periods[2] - periods[number - 1]))
