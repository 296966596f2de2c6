"""The ticket page's evidence of cooperation: proposals, reminders and refusals."""

from __future__ import annotations

from datetime import timedelta

from django import template

from deskside.core.clocks import short_duration
from deskside.tickets import policy
from deskside.tickets.evidence import EVIDENCE_REASONS, Evidence, evidence_of
from deskside.tickets.models import Ticket
from deskside.tickets.models.policy import BUSINESS_DAY

register = template.Library()


@register.simple_tag
def evidence_for(ticket: Ticket) -> Evidence:
    return evidence_of(ticket)


@register.filter
def needs_evidence(reason: str) -> bool:
    """Whether a close reason stands on the evidence of cooperation."""
    return reason in EVIDENCE_REASONS


@register.simple_tag
def periods_for(ticket: Ticket) -> list[str]:
    """The ticket's level's reminder and close periods, e.g. ["2 business days", ...]."""
    row = policy.levels().get(ticket.severity or 0)
    return [_in_days(p) for p in row.cooperation_periods()] if row else []


def _in_days(period: timedelta) -> str:
    days, rest = divmod(period, BUSINESS_DAY)
    if rest or not days:
        return short_duration(period)
    return f"{days} business day{'s' if days != 1 else ''}"
