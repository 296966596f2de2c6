"""Which of a ticket's events other systems hear of by webhook, and what they read.

record() (deskside/tickets/actions/_record.py) hands every Event it writes to `announce()`, in
the action's transaction; deskside/webhooks queues it for the endpoints subscribed to its kind.
The payload's `data` holds the ticket as of the event, who caused it, what the event stored
and, for a message, the message (docs/api.md, Webhooks).
"""

from __future__ import annotations

from typing import Any

from deskside.tickets.links import in_desk
from deskside.tickets.models import Event, EventKind, Message, MessageKind, Ticket
from deskside.tickets.models.choices import PUBLIC_REPLY_KINDS, Status
from deskside.webhooks.emit import emit
from deskside.webhooks.models import Kind

# What the client wrote (by mail, in the portal, refusing proposed steps); not an out-of-office
# or a bounce, which are inbound too.
CLIENT_KINDS = (MessageKind.MAIL, MessageKind.WEB, MessageKind.REFUSAL)

_BY_EVENT = {
    EventKind.CREATED: Kind.TICKET_CREATED,
    EventKind.REASSESSED: Kind.REASSESSED,
    EventKind.CLOCK_WARNING: Kind.CLOCK_WARNING,
    EventKind.CLOCK_BREACH: Kind.CLOCK_BREACHED,
    EventKind.CLOSED: Kind.TICKET_CLOSED,
    EventKind.REOPENED: Kind.TICKET_REOPENED,
}


def kind_of(event: Event) -> Kind | None:
    if event.kind == EventKind.MESSAGE:
        message_kind = event.data.get("message_kind")
        if message_kind in CLIENT_KINDS:
            return Kind.CLIENT_MESSAGE
        return Kind.STAFF_REPLY if message_kind in PUBLIC_REPLY_KINDS else None
    return _BY_EVENT.get(EventKind(event.kind))


def announce(ticket: Ticket, event: Event) -> None:
    kind = kind_of(event)
    if kind is not None:
        emit(kind, lambda: event_data(ticket, event), at=event.created_at)


def event_data(ticket: Ticket, event: Event) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ticket": ticket_data(ticket, event),
        "actor": event.actor_label,
        "event": {"kind": event.kind, **event.data},
    }
    message = _message_of(ticket, event)
    if message is not None:
        data["message"] = message_data(message)
    return data


def ticket_data(ticket: Ticket, event: Event | None = None) -> dict[str, Any]:
    """The ticket as other systems read it (a subset of the API's ticket). Reassessing and
    reopening record their event before they change the row: the event's values are shown."""
    status, close_reason, severity = ticket.status, ticket.close_reason, ticket.severity
    if event is not None and event.kind == EventKind.REASSESSED:
        severity = event.data["level"]
    if event is not None and event.kind == EventKind.REOPENED:
        status, close_reason, severity = Status.OPEN, "", event.data["severity"]
    organisation = ticket.organisation
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": status,
        "severity": severity,
        "claimed_severity": ticket.claimed_severity,
        "close_reason": close_reason or None,
        "organisation": {"id": organisation.pk, "name": organisation.name}
        if organisation
        else None,
        "contact": {"email": ticket.contact.email, "name": ticket.contact.name},
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "received_at": ticket.received_at,
        "url": in_desk(ticket),
    }


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "direction": message.direction,
        "kind": message.kind,
        "sender": message.sender,
        "subject": message.subject,
        "text": message.visible_text or message.text,
        "created_at": message.created_at,
    }


def _message_of(ticket: Ticket, event: Event) -> Message | None:
    """The message an event is about: the one it names, or for a new ticket its first."""
    if event.kind == EventKind.MESSAGE:
        return Message.objects.filter(pk=event.data.get("message")).first()
    if event.kind == EventKind.CREATED:
        return ticket.messages.order_by("created_at", "id").first()
    return None
