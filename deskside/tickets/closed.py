"""What a client's message to a closed ticket does (docs/protocol.md, "A reply to a closed
ticket"). No such message is ever kept on a closed ticket without a person being told:

- closed for no, invalid or ambiguous severity: with one valid level, it reopens the ticket at
  that level; without one, the client is told the protocol again;
- closed for any other reason, within the level's reopening period (10 business days by
  default) of the close: it reopens the ticket, and the assignee (else the duty group) is told;
- later: it opens a new ticket that follows the old one, as a new mail would;
- merged into another ticket as a duplicate (deskside/tickets/actions/merging.py): the message
  goes to that ticket, as if written there (and follows this same rule if it is closed), when
  the client may see it; a client of another organisation is answered on the duplicate, by the
  rules above, so that another organisation's ticket is never named to them.

The same rule serves the mail doors and the portal, which says before sending which applies.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from deskside.accounts.access import visible_to_contact
from deskside.accounts.models import Contact
from deskside.tickets import policy
from deskside.tickets.models import CloseReason, LinkKind, Status, Ticket, TicketLink

WITHOUT_LEVEL = (CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY)


class Next(models.TextChoices):
    SET_LEVEL = "set_level", "reopens the ticket at the level given"
    EXPLAIN = "explain", "is kept, and the protocol explained again"
    REOPEN = "reopen", "reopens the ticket"
    NEW_TICKET = "new_ticket", "opens a new ticket that follows this one"


def closed_without_level(ticket: Ticket) -> bool:
    return ticket.status == Status.CLOSED and ticket.close_reason in WITHOUT_LEVEL


def reopen_until(ticket: Ticket) -> datetime | None:
    """Until when a client's reply reopens the ticket; None if it is not closed, or closed for
    want of a level (then only a level reopens it, at any time)."""
    if ticket.status != Status.CLOSED or ticket.closed_at is None or closed_without_level(ticket):
        return None
    period = policy.level(ticket.severity).reopen_within if ticket.severity else None
    if period is None:
        return None
    return policy.calendar().add(ticket.closed_at, period)


def next_for(ticket: Ticket, *, arrived: datetime, level: int | None) -> Next:
    """What a client's message that arrived at `arrived` does to the closed `ticket`; `level`
    is the one valid level the message gives (its subject, or the portal's choice), if any."""
    if closed_without_level(ticket):
        return Next.SET_LEVEL if level is not None else Next.EXPLAIN
    until = reopen_until(ticket)
    return Next.REOPEN if until is not None and arrived <= until else Next.NEW_TICKET


def is_merged(ticket: Ticket) -> bool:
    """Closed as the duplicate of another ticket (which its DUPLICATE_OF link names)."""
    return ticket.status == Status.CLOSED and ticket.close_reason == CloseReason.DUPLICATE


def merged_into(ticket: Ticket) -> Ticket | None:
    """The ticket a merged duplicate continues as, followed to the end of a chain (a ticket
    merged into one that was merged in turn), or None when `ticket` is no merged duplicate.
    A merge keeps one DUPLICATE_OF link per duplicate. A chain that turns back (A merged into
    B, A reopened, B merged into A, A closed as a duplicate by hand) has no end to continue as:
    None, and a reply follows the rule for closed tickets on `ticket` itself."""
    seen = {ticket.pk}
    found: Ticket | None = None
    current = ticket
    while is_merged(current):
        link = _duplicate_link(current)
        if link is None:
            break
        if link.target_id in seen:
            return None
        seen.add(link.target_id)
        found = current = link.target
    return found


def _duplicate_link(ticket: Ticket) -> TicketLink | None:
    links = TicketLink.objects.filter(source=ticket, kind=LinkKind.DUPLICATE_OF)
    return links.select_related("target").order_by("-created_at", "-id").first()


def may_see(contact: Contact, ticket: Ticket) -> bool:
    """Whether `contact` may see `ticket` in the portal (accounts/access.py's rule)."""
    return visible_to_contact(Ticket.objects.filter(pk=ticket.pk), contact).exists()


def continues_as(ticket: Ticket, contact: Contact) -> Ticket:
    """Where `contact`'s message to `ticket` belongs: the ticket a merged duplicate was merged
    into, when they may see it; else `ticket` itself."""
    into = merged_into(ticket)
    return into if into is not None and may_see(contact, into) else ticket
