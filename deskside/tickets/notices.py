"""Mail that tickets send: the agent's reply to the client, and clock notices to staff.

Queued through the outbox inside the action's transaction, so a mail exists exactly when the
change that caused it does.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import formats, timezone

from deskside.accounts.roles import Role
from deskside.outbox.send import queue
from deskside.tickets.models import EventKind, Message, Ticket


def reply_to_client(ticket: Ticket, message: Message, references: list[str]) -> None:
    """The agent's public reply, in the ticket's language, threaded under the conversation."""
    text = (
        render_to_string(
            f"tickets/reply.{ticket.language}.txt", {"ticket": ticket, "text": message.text}
        ).strip()
        + "\n"
    )
    queue(
        to=[ticket.contact.email],
        subject=" ".join(message.subject.split()),
        text=text,
        purpose="reply",
        ticket_ref=ticket.ref,
        message_id=message.message_id,
        in_reply_to=references[-1] if references else "",
        references=references,
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
    when = formats.date_format(timezone.localtime(due), "D j M H:i")
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
