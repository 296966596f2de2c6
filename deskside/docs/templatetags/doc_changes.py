"""Template tags for the ticket page's documentation section (desk/_docs.html)."""

from __future__ import annotations

from django import template

from deskside.core.levels import DOCUMENTATION_LEVEL
from deskside.docs.models import ChangeKind, DocChange
from deskside.tickets.models import Ticket

register = template.Library()


@register.simple_tag
def doc_changes_for(ticket: Ticket) -> list[DocChange]:
    return list(ticket.doc_changes.select_related("created_by", "updated_by"))


@register.simple_tag
def documentation_level() -> int:
    return DOCUMENTATION_LEVEL


@register.filter
def has_no_change(changes: list[DocChange]) -> bool:
    return any(c.kind == ChangeKind.NO_CHANGE for c in changes)
