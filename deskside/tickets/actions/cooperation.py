"""Cooperation (docs/protocol.md, Cooperation): steps proposed to the client, the client's
refusal of them, and the reminders and close that silence brings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from deskside.core.cooperation import RefusalSource
from deskside.core.errors import ErrorCode
from deskside.core.limits import MAX_REFERENCES
from deskside.tickets import cooperation, notices, policy
from deskside.tickets.actions._base import (
    SYSTEM,
    Actor,
    NewMessage,
    check_open,
    conversation,
    done,
    filed,
    lock,
    post,
    save,
    staff_user,
    to_client,
)
from deskside.tickets.actions._record import record
from deskside.tickets.actions.messages import take_in
from deskside.tickets.actions.state import closing
from deskside.tickets.errors import ActionError
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
)


@transaction.atomic
def propose_steps(ticket: Ticket, steps: str, *, by: Actor) -> Ticket:
    """Propose steps for the client: mailed in the ticket's language, and the ticket waits on
    the client (every clock pauses) until they answer, by mail or in the portal. Silence brings
    reminders and, in the end, the close as client_unavailable (deskside/tickets/cooperation.py).
    A proposal counts as a public reply: it meets the first-response and update clocks."""
    row = lock(ticket)
    check_open(row, _("propose steps"))
    if not steps.strip():
        raise ActionError(
            ErrorCode.EMPTY_STEPS, _("Proposed steps need some text: what should the client do?")
        )
    staff_user(by, _("propose steps"))
    thread = conversation(row)
    message = to_client(row, MessageKind.PROPOSAL, steps, by, thread)
    # A new proposal starts a new silence, even on a ticket that already waits: the WAITING
    # event is where reminders count from (a second one does not disturb the paused clocks).
    waiting = record(row, EventKind.WAITING, by, note="proposed steps", proposal=message.pk)
    row.status = Status.WAITING_ON_CLIENT
    save(row, "status")
    notices.proposal(row, message, thread[-MAX_REFERENCES:], _schedule(row, waiting.created_at))
    return done(row, ticket, posted=message)


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
    source: RefusalSource | str,
    message: Message | None = None,
) -> Ticket:
    """The client refuses the proposed steps: in the portal (source "portal", with an optional
    reason), or an agent marks the client's mail as a refusal (source "mail", `message`).

    A refusal is an answer: a ticket waiting on the client resumes its clocks, and the agent
    decides what follows (other steps, or the close as client_refused)."""
    row = lock(ticket)
    if source not in RefusalSource:
        raise ActionError(
            ErrorCode.UNKNOWN_REFUSAL_SOURCE,
            _("A refusal comes from the portal or a mail, not %(source)s."),
            source=repr(source),
        )
    check_open(row, _("record a refusal"))
    if row.last_proposal() is None:
        why = _("%(ref)s has no proposed steps to refuse.")
        raise ActionError(ErrorCode.NO_PROPOSED_STEPS, why, ref=row.ref)
    reason = reason.strip()[:2000]
    if source == RefusalSource.MAIL:
        refusal, reason = _check_marked(row, message, reason)
    else:
        refusal = post(row, _portal_refusal(row, reason, by), by)
    record(row, EventKind.REFUSED, by, reason=reason, source=source, message=refusal.pk)
    changed: list[str] = []
    if row.status == Status.WAITING_ON_CLIENT:
        record(row, EventKind.RESUMED, by, was=row.status)
        row.status = Status.OPEN
        changed.append("status")
    save(row, *changed)
    notices.refused(row, _who_proposed(row), reason=reason, by=by.user)
    return done(row, ticket)


@transaction.atomic
def record_steps_worked(ticket: Ticket, *, by: Actor, text: str) -> Ticket:
    """The client says the proposed steps worked (the portal's button beside "refuse"). It is an
    answer like any reply: a wait on the client ends and the clocks resume, because the agent
    still has to record the milestone and resolve. `text` is the sentence in the client's
    language, kept as their message; the event marks it (steps_worked) so that the portal stops
    offering the same steps. The agent with the ticket, else the one who proposed, is told."""
    row = lock(ticket)
    check_open(row, _("say the steps worked"))
    if row.last_proposal() is None:
        why = _("%(ref)s has no proposed steps.")
        raise ActionError(ErrorCode.NO_PROPOSED_STEPS, why, ref=row.ref)
    new = NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.WEB,
        text=text,
        sender=by.label,
        subject=f"Re: [{row.ref}] {row.subject}",
    )
    message = take_in(row, new, by, counts_as_answer=True, steps_worked=True)
    notices.client_wrote(row, message, _who_proposed(row), what="The client says the steps worked")
    return done(row, ticket, posted=message)


def _check_marked(ticket: Ticket, message: Message | None, reason: str) -> tuple[Message, str]:
    """The client's mail an agent marks as a refusal, and the reason: the agent's, else the
    mail's own words. Refuses a mail that cannot be marked."""
    if message is None or message.ticket_id != ticket.pk:
        raise ActionError(
            ErrorCode.MAIL_NOT_ON_TICKET,
            _("Choose a mail of %(ref)s from the client to mark."),
            ref=ticket.ref,
        )
    if message.direction != Direction.INBOUND:
        raise ActionError(
            ErrorCode.NOT_FROM_CLIENT, _("Only a message from the client can be a refusal.")
        )
    if ticket.events.filter(kind=EventKind.REFUSED, data__message=message.pk).exists():
        raise ActionError(
            ErrorCode.ALREADY_MARKED_REFUSAL, _("This mail is already marked as a refusal.")
        )
    return message, reason or " ".join((message.visible_text or message.text).split())[:500]


def _portal_refusal(ticket: Ticket, reason: str, by: Actor) -> NewMessage:
    """The refusal a client gives in the portal, as a message of the conversation."""
    return NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.REFUSAL,
        text=reason,
        sender=by.label,
        subject=f"Re: [{ticket.ref}] {ticket.subject}",
    )


def _who_proposed(ticket: Ticket) -> list[User]:
    """Who hears of a refusal: the agent who has the ticket, else the one who proposed."""
    if ticket.assignee is not None:
        return [ticket.assignee]
    proposal = ticket.last_proposal()
    return [proposal.author] if proposal and proposal.author else []


@transaction.atomic
def remind_or_close(ticket: Ticket, now: datetime, *, by: Actor = SYSTEM) -> Ticket:
    """The cooperation sweep's step for one ticket waiting on the client: the next reminder
    (Event REMINDER with its number, a mail in the client's language) or, after the last
    period, the close as client_unavailable with a final mail. Nothing when none is due."""
    row = lock(ticket)
    silence = cooperation.silence_of(row)
    if silence is None or row.severity is None:
        return done(row, ticket)
    periods = policy.level(row.severity).cooperation_periods()
    step = cooperation.next_step(silence, periods, policy.calendar())
    if step.due > now:
        return done(row, ticket)
    thread = conversation(row)
    if step.closes:
        closing(
            row,
            CloseReason.CLIENT_UNAVAILABLE,
            by,
            note=f"No answer since {silence.since.isoformat()}, after {len(silence.reminders)} "
            "reminders.",
            waiting_since=silence.since.isoformat(),
        )
        sent = notices.closed_unavailable(row, thread[-MAX_REFERENCES:], since=silence.since)
        return done(row, ticket, posted=post(row, filed(sent, MessageKind.CLOSURE), by))
    sent = notices.reminder(
        row,
        thread[-MAX_REFERENCES:],
        number=step.number,
        since=silence.since,
        proposal=row.last_proposal(),
        close_at=_schedule_close(silence.since, now, step.number, periods),
    )
    message = post(row, filed(sent, MessageKind.REMINDER), by)
    waiting_since = silence.since.isoformat()
    record(
        row,
        EventKind.REMINDER,
        by,
        number=step.number,
        waiting_since=waiting_since,
        message=message.pk,
    )
    return done(row, ticket, posted=message)


def _schedule_close(
    since: datetime,
    now: datetime,
    number: int,
    periods: tuple[timedelta, timedelta, timedelta],
) -> datetime:
    """When the ticket closes without an answer, as the reminder being sent tells the client."""
    calendar = policy.calendar()
    return max(calendar.add(since, periods[2]), calendar.add(now, periods[2] - periods[number - 1]))
