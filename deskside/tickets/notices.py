"""Mail that tickets send: the agent's reply and proposed steps, the reminders and the final
close to the client (in the ticket's language: en, nl, fr, de), and notices to staff (English):
clock warnings and breaches and what happens on their tickets (the escalation of level-1 and
level-2 tickets is deskside/tickets/duty.py).

Queued through the outbox inside the action's transaction, so a mail exists exactly when the
change that caused it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.html import linebreaks, urlize
from django.utils.translation import gettext

from deskside.accounts.names import display_name
from deskside.accounts.roles import Role
from deskside.outbox.models import CalendarMethod
from deskside.outbox.send import Attached, new_message_id, queue
from deskside.tickets import duty, links, notify, policy, storage
from deskside.tickets.duty import staff_when
from deskside.tickets.models import EventKind, Message, NotificationKind, Ticket


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
    quoted in it stays text, and the link to the ticket in the portal as its last line. Every
    mail about a ticket to its client goes out through here."""
    text = mail_text(ticket, text)
    mail = ClientMail(
        # Whitespace collapsed: a line break decoded from a hostile subject never reaches a header.
        subject=" ".join(subject.split()),
        text=text + "\n",
        message_id=message_id or new_message_id(),
        in_reply_to=references[-1] if references else "",
    )
    queue(
        to=[to or ticket.contact.email],
        subject=mail.subject,
        text=mail.text,
        html=html_of(text),
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


def html_of(text: str) -> str:
    """The HTML part of a mail: the text escaped, its links and addresses made links, its lines
    and paragraphs kept. Exactly `linebreaks(urlize(text, autoescape=True))`, a line at a time:
    urlize reads whitespace-separated words, never across a line break, and most lines of the
    protocol's answers are the same in every mail, so they are made once (Django's urlize cost
    a tenth of an API request's time)."""
    return linebreaks("\n".join(_urlized(line) for line in text.split("\n")))


@lru_cache(maxsize=2048)
def _urlized(line: str) -> str:
    return urlize(line, autoescape=True)


def mail_text(ticket: Ticket, text: str) -> str:
    """A mail's text as the client reads it: what it says, then the link to the ticket."""
    return f"{text.strip()}\n\n{portal_line(ticket)}"


def portal_line(ticket: Ticket) -> str:
    """The link to the ticket in the portal, in the ticket's language, that ends every mail."""
    with translation.override(ticket.language):
        return gettext("See this ticket in the portal: %(url)s") % {"url": links.in_portal(ticket)}


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


def leads_and_assignee(ticket: Ticket) -> list[notify.Someone]:
    """Who hears of a ticket's clocks: the leads, and the agent who has the ticket."""
    leads = get_user_model().objects.filter(is_active=True, groups__name=Role.LEAD)
    people: list[notify.Someone] = list(leads.values_list("pk", flat=True))
    if ticket.assignee_id is not None:
        people.append(ticket.assignee_id)
    return people


def clock_alert(ticket: Ticket, kind: EventKind, clock: str, due: datetime) -> None:
    breached = kind == EventKind.CLOCK_BREACH
    when = staff_when(due)
    title = (
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
    notify.tell(
        leads_and_assignee(ticket),
        NotificationKind.CLOCK_BREACH if breached else NotificationKind.CLOCK_WARNING,
        title=title,
        text=text,
        ticket=ticket,
    )


# -- what staff are told about their tickets (English) ------------------------------------------


def assigned(ticket: Ticket, to: User, *, by: User | None) -> None:
    who = display_name(by) if by else "Deskside"
    notify.tell(
        [to],
        NotificationKind.ASSIGNED,
        title=f"[{ticket.ref}] Assigned to you: {ticket.subject}",
        text=f"{who} assigned {ticket.ref} to you (level {ticket.severity or '—'}, "
        f"{ticket.get_status_display().lower()}).\n\n{_client_line(ticket)}",
        ticket=ticket,
        not_to=by,
    )


def merged_into_yours(target: Ticket, duplicate: Ticket, *, by: User) -> None:
    """A duplicate now shows on the target, and its client's replies will land there: the
    agent who has the target reads it (not the one who merged)."""
    if target.assignee_id is None:
        return
    notify.tell(
        [target.assignee_id],
        NotificationKind.CLIENT_MESSAGE,
        title=f"[{target.ref}] {duplicate.ref} was merged into your ticket: {duplicate.subject}",
        text=f"{display_name(by)} merged {duplicate.ref} ({_client_line(duplicate)}) into "
        f"{target.ref} as a duplicate. Its messages show on {target.ref}, and the client's "
        f"replies to {duplicate.ref} come to {target.ref}.",
        ticket=target,
        not_to=by,
    )


def client_wrote(
    ticket: Ticket, message: Message, to: Sequence[notify.Someone], *, what: str = ""
) -> None:
    """The client's new message, to the people who must read it; `what` says what it did."""
    excerpt = " ".join((message.visible_text or message.text).split())[:300]
    notify.tell(
        to,
        NotificationKind.CLIENT_MESSAGE,
        title=f"[{ticket.ref}] {what or 'Your client replied'}: {ticket.subject}",
        text=f"{_client_line(ticket)} wrote:\n\n{excerpt}",
        ticket=ticket,
    )


def refused(ticket: Ticket, to: Sequence[notify.Someone], *, reason: str, by: User | None) -> None:
    notify.tell(
        to,
        NotificationKind.REFUSED,
        title=f"[{ticket.ref}] The client refused the proposed steps: {ticket.subject}",
        text=f"{_client_line(ticket)} refused the proposed steps"
        f"{': ' + reason if reason else '.'}\n\nPropose other steps, or close the ticket "
        "as client refused.",
        ticket=ticket,
        not_to=by,
    )


def delivery_failed(ticket: Ticket, report: Message, *, failed: Sequence[str]) -> None:
    """One of our mails about the ticket came back: whoever has it must reach the client
    another way (the address is marked as failing)."""
    notify.tell(
        duty.assignee_or_duty(ticket),
        NotificationKind.DELIVERY_FAILED,
        title=f"[{ticket.ref}] Mail to the client could not be delivered: {ticket.subject}",
        text=f"Mail to {', '.join(failed) or 'the client'} came back undelivered:\n\n"
        f"{' '.join(report.text.split())[:500]}\n\nReach the client another way, or correct "
        "the address.",
        ticket=ticket,
    )


def mentioned(ticket: Ticket, note: Message, to: Sequence[User], *, by: User) -> None:
    notify.tell(
        to,
        NotificationKind.MENTION,
        title=f"[{ticket.ref}] {display_name(by)} mentions you: {ticket.subject}",
        text=note.text.strip()[:2000],
        ticket=ticket,
        not_to=by,
    )


def _client_line(ticket: Ticket) -> str:
    contact = ticket.contact
    name = f"{contact.name} <{contact.email}>" if contact.name else contact.email
    return f"{name}, {ticket.organisation.name}" if ticket.organisation else name


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


@dataclass(frozen=True)
class Draft:
    """A mail to the client as it will go out: what the action queues, and what the desk shows
    the agent before it is sent (the same rendering, so the preview cannot differ)."""

    subject: str
    body: str  # what to_client() is given
    text: str  # what the client reads: the body and what to_client() ends every mail with


def _draft(ticket: Ticket, subject: str, body: str) -> Draft:
    return Draft(subject=subject, body=body, text=mail_text(ticket, body))


_OUT_OF_SCOPE_SUBJECT = {
    "en": "Outside our support",
    "nl": "Buiten onze support",
    "fr": "Hors de notre support",
    "de": "Außerhalb unseres Supports",
}


def out_of_scope_draft(ticket: Ticket, *, client_text: str) -> Draft:
    """Why a ticket that fits no severity level is closed (docs/protocol.md, Out of scope), with
    the agent's own words for the client. Never the agent's internal note: that stays in the
    history."""
    levels = [
        {"level": row.level, "name": row.name_in(ticket.language)}
        for _number, row in sorted(policy.levels().items())
    ]
    prefix = _OUT_OF_SCOPE_SUBJECT.get(ticket.language, _OUT_OF_SCOPE_SUBJECT["en"])
    context: dict[str, object] = {"note": client_text.strip(), "levels": levels}
    return _draft(
        ticket,
        f"{prefix}: [{ticket.ref}] {ticket.subject}",
        _render(ticket, "closed_out_of_scope", context),
    )


def closed_out_of_scope(ticket: Ticket, references: list[str], *, client_text: str) -> ClientMail:
    draft = out_of_scope_draft(ticket, client_text=client_text)
    return to_client(
        ticket,
        subject=draft.subject,
        text=draft.body,
        purpose="closed_out_of_scope",
        references=references,
    )


_RESOLVED_SUBJECT = {"en": "Resolved", "nl": "Opgelost", "fr": "Résolu", "de": "Gelöst"}


def resolution_draft(ticket: Ticket, resolution: str) -> Draft:
    """The agent's resolution for the client, in the ticket's language, with how to reopen
    the ticket: an answer, by mail or in the portal, reopens a resolved ticket."""
    prefix = _RESOLVED_SUBJECT.get(ticket.language, _RESOLVED_SUBJECT["en"])
    return _draft(
        ticket,
        f"{prefix}: [{ticket.ref}] {ticket.subject}",
        _render(ticket, "resolved", {"resolution": resolution.strip()}),
    )


def resolved(ticket: Ticket, message: Message, references: list[str]) -> None:
    """Mail the resolution that `message` files on the ticket, threaded under the conversation."""
    draft = resolution_draft(ticket, message.text)
    to_client(
        ticket,
        subject=draft.subject,
        text=draft.body,
        purpose="resolved",
        references=references,
        message_id=message.message_id,
    )


def _render(ticket: Ticket, template: str, context: dict[str, object]) -> str:
    return render_to_string(
        f"tickets/{template}.{ticket.language}.txt",
        {"ticket": ticket, "name": ticket.contact.name, **context},
    )


_MERGED_SUBJECT = {
    "en": ("Continues as %(target)s", "Closed as a duplicate"),
    "nl": ("Loopt verder als %(target)s", "Gesloten als dubbel"),
    "fr": ("Se poursuit sous %(target)s", "Fermé comme doublon"),
    "de": ("Weitergeführt als %(target)s", "Als Duplikat geschlossen"),
}


def merged(ticket: Ticket, target: Ticket | None, references: list[str]) -> ClientMail:
    """Tell the client of a duplicate, in their language, that it was merged: into `target`,
    named, or (None) into a ticket they may not see, not named (deskside/tickets/actions/
    merging.py)."""
    named, unnamed = _MERGED_SUBJECT.get(ticket.language, _MERGED_SUBJECT["en"])
    prefix = named % {"target": target.ref} if target is not None else unnamed
    return to_client(
        ticket,
        subject=f"{prefix}: [{ticket.ref}] {ticket.subject}",
        text=_render(ticket, "merged", {"target": target}),
        purpose="merged",
        references=references,
    )
