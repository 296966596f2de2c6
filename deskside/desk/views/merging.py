"""What the ticket page shows of merged and related tickets: the ticket a duplicate was merged
into, the duplicates merged into it with their messages (their conversation reachable from the
ticket that continues it), and related tickets. Follow-ups stay in the page's header."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects

from deskside.tickets.models import LinkKind, Message, Ticket, TicketLink


@dataclass(frozen=True)
class Merged:
    ticket: Ticket
    messages: list[Message]


def context(ticket: Ticket, links: list[TicketLink]) -> dict[str, object]:
    """`links`: every link of `ticket` (models.ticket.links_of, both lists)."""
    into = [x.target for x in links if x.kind == LinkKind.DUPLICATE_OF and x.source == ticket]
    merged = [x.source for x in links if x.kind == LinkKind.DUPLICATE_OF and x.target == ticket]
    related = [
        x.target if x.source == ticket else x.source for x in links if x.kind == LinkKind.RELATED
    ]
    return {
        "merged_into": into[-1] if into else None,
        "merged_from": _with_messages(merged),
        "related": related,
    }


def _with_messages(tickets: list[Ticket]) -> list[Merged]:
    """Each duplicate (read with its link) with its messages, in one query for all of them."""
    ordered = Message.objects.order_by("created_at", "id")
    prefetch_related_objects(tickets, Prefetch("messages", queryset=ordered))
    return [Merged(t, list(t.messages.all())) for t in tickets]
