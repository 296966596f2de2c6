"""Mail that tickets send: the agent's reply and proposed steps, the reminders and the final
close to the client (in the ticket's language: en, nl, fr, de), and notices to staff (English):
clock warnings and breaches, and the escalation of level-1 and level-2 tickets.

Queued through the outbox inside the action's transaction, so a mail exists exactly when the
change that caused it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext

from deskside.accounts.roles import Role
from deskside.core.clocks import when_words
from deskside.outbox.models import CalendarMethod
from deskside.outbox.send import Attached, new_message_id, queue
from deskside.tickets import policy, storage
from deskside.tickets.models import EventKind, Message, Ticket

# The staff group whose members a new level-1 or level-2 ticket alerts (created by migration
# tickets 0004; a lead adds the agents on duty in the admin). Empty, every agent is alerted.
DUTY_GROUP = "duty"


@dataclass(frozen=True)
class ClientMail:
    """A mail queued for the client, for the action to file on the ticket as a message."""

    subject: str
    text: str
    message_id: str
    in_reply_to: str


def to_client(
    ticket: Ticket,
    *,
    subject: str,
    text: str,
    purpose: str,
    references: list[str],
    automatic: bool = False,
    message_id: str = "",
    to: str = "",
    calendar: bytes = b"",
    calendar_method: CalendarMethod | None = None,
    attachments: Sequence[Attached] = (),
) -> ClientMail:
    """Queue one mail to the ticket's client (or `to`), threaded under `references` (oldest
    first): the text, and as its HTML part the same text escaped, so that a client's subject
    quoted in it stays text. Every mail about a ticket to its client goes out through here."""
    mail = ClientMail(
        # Whitespace collapsed: a line break decoded from a hostile subject never reaches a header.
        subject=" ".join(subject.split()),
        text=text.strip() + "\n",
        message_id=message_id or new_message_id(),
        in_reply_to=references[-1] if references else "",
    )
    queue(
        to=[to or ticket.contact.email],
        subject=mail.subject,
        text=mail.text,
        html=linebreaks(escape(text.strip())),
        purpose=purpose,
        ticket_ref=ticket.ref,
        message_id=mail.message_id,
        in_reply_to=mail.in_reply_to,
        references=references,
        automatic=automatic,
        calendar=calendar,
        calendar_method=calendar_method or "",
        attachments=attachments,
    )
    return mail


def long_date(value: datetime, language: str) -> str:
    """'Tuesday 24 November 2026, 10:00' in `language` (the client's, or English for staff),
    Brussels time."""
    with translation.override(language):
        return str(formats.date_format(timezone.localtime(value), "l j F Y, H:i"))


def reply_to_client(ticket: Ticket, message: Message, references: list[str]) -> None:
    """The agent's public reply, in the ticket's language, threaded under the conversation,
    with the files the agent attached."""
    to_client(
        ticket,
        subject=message.subject,
        text=render_to_string(
            f"tickets/reply.{ticket.language}.txt", {"ticket": ticket, "text": message.text}
        ),
        purpose="reply",
        references=references,
        message_id=message.message_id,
        attachments=[storage.as_attached(f) for f in message.attachments.order_by("id")],
    )


def staff_addresses(ticket: Ticket) -> list[str]:
    users = (
        get_user_model().objects.filter(is_active=True, groups__name=Role.LEAD).exclude(email="")
    )
    addresses = {u.email.lower() for u in users}
    if ticket.assignee and ticket.assignee.email:
        addresses.add(ticket.assignee.email.lower())
    return sorted(addresses)


def clock_alert(ticket: Ticket, kind: EventKind, clock: str, due: datetime) -> None:
    to = staff_addresses(ticket)
    if not to:
        return
    breached = kind == EventKind.CLOCK_BREACH
    when = _staff_when(due)
    subject = (
        f"[{ticket.ref}] {'Breached' if breached else '75% used'}: {clock} "
        f"(level {ticket.severity}, due {when})"
    )
    text = render_to_string(
        "tickets/clock_alert.txt",
        {
            "ticket": ticket,
            "clock": clock,
            "due": when,
            "breached": breached,
            "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        },
    )
    queue(
        to=to, subject=subject, text=text, purpose=kind.value, ticket_ref=ticket.ref, automatic=True
    )


# -- escalation (staff, English) ---------------------------------------------------------------


def duty_addresses() -> tuple[list[str], str]:
    """The addresses a level-1/2 alert goes to, and whom they are: the "duty" group's active
    members, or every active agent while that group is empty (or missing). Cached like the
    protocol's data: the intake opens many such tickets a second, and a change of staff or
    groups clears the cache (other processes see it within seconds)."""
    return policy.remembered("duty", _read_duty_addresses)


def _read_duty_addresses() -> tuple[list[str], str]:
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[DUTY_GROUP, Role.AGENT])
        .exclude(email="")
        .values_list("email", "groups__name")
    )
    by_group: dict[str, set[str]] = {DUTY_GROUP: set(), Role.AGENT: set()}
    for email, group in rows:
        by_group[group].add(email.lower())
    if by_group[DUTY_GROUP]:
        return sorted(by_group[DUTY_GROUP]), DUTY_GROUP
    return sorted(by_group[Role.AGENT]), "all agents"


def escalation(ticket: Ticket, to: list[str], *, why: str) -> None:
    if not to:
        return
    title = f"[{ticket.ref}] Level {ticket.severity} ticket needs an agent now: {ticket.subject}"
    subject = " ".join(title.split())
    text = render_to_string(
        "tickets/escalation.txt",
        {
            "ticket": ticket,
            "why": why,
            "first_response_due": _staff_when(ticket.first_response_due),
            "received": _staff_when(ticket.received_at),
            "path": reverse("desk:ticket", args=[ticket.ref]),
        },
    )
    queue(
        to=to,
        subject=subject,
        text=text,
        purpose="escalation",
        ticket_ref=ticket.ref,
        automatic=True,
    )


def _staff_when(value: datetime | None) -> str:
    """'Mon 23 Nov 09:30' in English whatever language the thread has active: a staff notice
    can be sent from a client's request in the portal (where the client's language is on)."""
    if value is None:
        return "—"
    return when_words(timezone.localtime(value), this_year=timezone.localtime().year)


# -- cooperation (client, in the ticket's language) --------------------------------------------


def _to_client(
    ticket: Ticket,
    *,
    template: str,
    subject: str,
    context: dict[str, object],
    references: list[str],
    purpose: str,
    automatic: bool,
) -> ClientMail:
    text = render_to_string(
        f"tickets/{template}.{ticket.language}.txt",
        {"ticket": ticket, "name": ticket.contact.name, **context},
    )
    return to_client(
        ticket,
        subject=subject,
        text=text,
        purpose=purpose,
        references=references,
        automatic=automatic,
    )


def proposal(
    ticket: Ticket, message: Message, references: list[str], schedule: list[datetime]
) -> None:
    """The agent's proposed steps, with when the reminders and the close would come."""
    first, second, close_at = (long_date(t, ticket.language) for t in schedule)
    text = render_to_string(
        f"tickets/proposal.{ticket.language}.txt",
        {
            "ticket": ticket,
            "name": ticket.contact.name,
            "steps": message.text,
            "first": first,
            "second": second,
            "close_at": close_at,
        },
    )
    to_client(
        ticket,
        subject=message.subject,
        text=text,
        purpose="proposal",
        references=references,
        message_id=message.message_id,
    )


def reminder(
    ticket: Ticket,
    references: list[str],
    *,
    number: int,
    since: datetime,
    proposal: Message | None,
    close_at: datetime,
) -> ClientMail:
    with translation.override(ticket.language):
        subject = gettext("Reminder %(number)d: [%(ref)s] %(subject)s") % {
            "number": number,
            "ref": ticket.ref,
            "subject": ticket.subject,
        }
    return _to_client(
        ticket,
        template="reminder",
        subject=subject,
        context={
            "number": number,
            "since": long_date(since, ticket.language),
            "steps": proposal.text if proposal else "",
            "close_at": long_date(close_at, ticket.language),
        },
        references=references,
        purpose=f"reminder_{number}",
        automatic=True,
    )


def closed_unavailable(ticket: Ticket, references: list[str], *, since: datetime) -> ClientMail:
    with translation.override(ticket.language):
        subject = gettext("Closed: [%(ref)s] %(subject)s") % {
            "ref": ticket.ref,
            "subject": ticket.subject,
        }
    return _to_client(
        ticket,
        template="closed_unavailable",
        subject=subject,
        context={"since": long_date(since, ticket.language)},
        references=references,
        purpose="closed_unavailable",
        automatic=True,
    )


_OUT_OF_SCOPE_SUBJECT = {
    "en": "Outside our support",
    "nl": "Buiten onze support",
    "fr": "Hors de notre support",
    "de": "Außerhalb unseres Supports",
}


def closed_out_of_scope(ticket: Ticket, references: list[str], *, note: str) -> ClientMail:
    """Why a ticket that fits no severity level is closed (DESIGN.md §1, out of scope)."""
    levels = [
        {"level": row.level, "name": row.name_in(ticket.language)}
        for _number, row in sorted(policy.levels().items())
    ]
    prefix = _OUT_OF_SCOPE_SUBJECT.get(ticket.language, _OUT_OF_SCOPE_SUBJECT["en"])
    return _to_client(
        ticket,
        template="closed_out_of_scope",
        subject=f"{prefix}: [{ticket.ref}] {ticket.subject}",
        context={"note": note.strip(), "levels": levels},
        references=references,
        purpose="closed_out_of_scope",
        automatic=False,
    )
