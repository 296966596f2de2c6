"""A ticket as the JSON of `deskside ticket show` (docs/protocol.md, Commands)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from deskside.tickets import clocks
from deskside.tickets.models import SeverityLevel, Ticket


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def as_json(ticket: Ticket) -> dict[str, Any]:
    level = SeverityLevel.objects.filter(level=ticket.severity).first() if ticket.severity else None
    org = ticket.organisation
    current = clocks.state(ticket)
    return {
        "ref": ticket.ref,
        "subject": ticket.subject,
        "status": ticket.status,
        "severity": ticket.severity,
        "claimed_severity": ticket.claimed_severity,
        "effort": level.effort if level else None,
        "close_reason": ticket.close_reason or None,
        "language": ticket.language,
        "received_at": _iso(ticket.received_at),
        "created_at": _iso(ticket.created_at),
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "contact": {"email": ticket.contact.email, "name": ticket.contact.name},
        "organisation": (
            {
                "name": org.name,
                "country": org.country or None,
                "postal_code": org.postal_code or None,
            }
            if org
            else None
        ),
        "clocks": {
            "first_response_due": _iso(ticket.first_response_due),
            "next_update_due": _iso(ticket.next_update_due),
            "goal_due": _iso(ticket.goal_due),
            "documentation_due": _iso(ticket.documentation_due),
            "paused": ticket.clocks_paused,
            "explain": list(current.explain) if current else [],
        },
        "messages": [
            {
                "direction": m.direction,
                "kind": m.kind,
                "sender": m.sender,
                "created_at": _iso(m.created_at),
                "subject": m.subject,
                "text": m.text,
            }
            for m in ticket.messages.order_by("created_at", "id")
        ],
    }
