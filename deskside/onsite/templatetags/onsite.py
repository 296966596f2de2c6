"""Template tags for the ticket page's visit section (desk/_visits.html)."""

from __future__ import annotations

from django import template

from deskside.onsite.models import Visit
from deskside.tickets.models import Ticket

register = template.Library()


@register.simple_tag
def visits_for(ticket: Ticket) -> list[Visit]:
    """The ticket's visits, newest first."""
    return list(ticket.visits.select_related("technician").order_by("-id"))


@register.simple_tag(takes_context=True)
def may_request_visit(context: template.Context, ticket: Ticket, visits: list[Visit]) -> bool:
    user = context.get("user")
    return bool(
        user is not None
        and user.has_perm("onsite.add_visit")
        and ticket.is_open()
        and not any(v.is_active() for v in visits)
    )
