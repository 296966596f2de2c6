"""Deskside's automatic answers to a new mail, in the client's language.

Each answer is a Message on the ticket (so agents see what the client was told) and an
OutboundMail in the same transaction (so it is sent exactly when the ticket exists).
"""

from __future__ import annotations

from django.template.loader import render_to_string

from deskside.accounts.models import Contact
from deskside.core.opening_words import describe_hours_and_next_opening
from deskside.core.severity import SeverityReading, suggested_subject
from deskside.tickets import actions, notices, policy
from deskside.tickets.models import MessageKind, Ticket

# The tag the explanation suggests, in the client's language; each reads as a severity.
_KEYWORD = {"en": "Severity", "nl": "Ernst", "fr": "Gravité", "de": "Schweregrad"}


def _send(
    ticket: Ticket,
    contact: Contact,
    kind: MessageKind,
    template: str,
    context: dict[str, object],
    in_reply_to: str | None,
) -> None:
    language = ticket.language
    mail = notices.to_client(
        ticket,
        subject=render_to_string(f"mail/{template}_subject.{language}.txt", context),
        text=render_to_string(f"mail/{template}.{language}.txt", context),
        purpose=kind.value,
        references=[in_reply_to] if in_reply_to else [],
        automatic=True,
        to=contact.email,
    )
    # The intake answers within the transaction that opened or changed the ticket: its row is
    # already held, no need to read it again under a lock.
    actions.add_system_message(ticket, actions.filed(mail, kind), by=actions.SYSTEM, locked=True)


def acknowledge(ticket: Ticket, contact: Contact, *, in_reply_to: str | None) -> None:
    """Reference, level, effort, first response due, and the next opening if out of hours.

    Called in the transaction that opened or reopened the ticket (its row is held)."""
    assert ticket.severity is not None, "only a ticket with a level is acknowledged"
    level = policy.level(ticket.severity)
    calendar = policy.calendar()
    out_of_hours = not calendar.is_open(ticket.received_at)
    context: dict[str, object] = {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "level": level.level,
        "level_name": level.name_in(ticket.language),
        "definition": level.definition_in(ticket.language),
        "effort": level.effort,
        "first_response_due": (
            notices.long_date(ticket.first_response_due, ticket.language)
            if ticket.first_response_due
            else None
        ),
        "opening": (
            describe_hours_and_next_opening(calendar, ticket.received_at, ticket.language)
            if out_of_hours
            else None
        ),
    }
    _send(ticket, contact, MessageKind.ACKNOWLEDGEMENT, "acknowledgement", context, in_reply_to)


def explain_protocol(
    ticket: Ticket, contact: Contact, reading: SeverityReading, *, in_reply_to: str | None
) -> None:
    """Why the mail was closed, the four levels, and how to fix it: reply with a level.

    Called in the transaction that opened the ticket (its row is held)."""
    levels = [
        {
            "level": row.level,
            "name": row.name_in(ticket.language),
            "definition": row.definition_in(ticket.language),
        }
        for _number, row in sorted(policy.levels().items())
    ]
    context: dict[str, object] = {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "levels": levels,
        "suggested": suggested_subject(ticket.subject, keyword=_KEYWORD[ticket.language]),
        "result": reading.result.value,
        "numbers": ", ".join(map(str, reading.levels)),
    }
    _send(ticket, contact, MessageKind.PROTOCOL, "protocol", context, in_reply_to)
