"""Who is on duty, and the alert a new level-1 or level-2 ticket sends them (staff, English):
the agents of the "duty" group, or every agent while it is empty; and who hears of something on
a ticket nobody has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils import timezone

from deskside.accounts.roles import Role
from deskside.core.clocks import when_words
from deskside.tickets import notify, policy
from deskside.tickets.models import NotificationKind, Ticket

# The staff group whose members a new level-1 or level-2 ticket alerts (created by migration
# tickets 0004; a lead adds the agents on duty in the admin). Empty, every agent is alerted.
DUTY_GROUP = "duty"


def on_duty() -> tuple[tuple[int, ...], str]:
    """Who a level-1/2 alert goes to, and whom they are: the "duty" group's active members, or
    every active agent while that group is empty (or missing). Cached like the protocol's
    data: the intake opens many such tickets a second, and a change of staff or groups clears
    the cache (other processes see it within seconds)."""
    return policy.remembered("duty", _read_on_duty)


def _read_on_duty() -> tuple[tuple[int, ...], str]:
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[DUTY_GROUP, Role.AGENT])
        .values_list("pk", "groups__name")
        .order_by("pk")
    )
    by_group: dict[str, dict[int, None]] = {DUTY_GROUP: {}, Role.AGENT: {}}
    for pk, group in rows:
        by_group[group][pk] = None
    if by_group[DUTY_GROUP]:
        return tuple(by_group[DUTY_GROUP]), DUTY_GROUP
    return tuple(by_group[Role.AGENT]), "all agents"


def assignee_or_duty(ticket: Ticket) -> list[notify.Someone]:
    """Who must hear of something on a ticket: the agent who has it, else whoever is on duty."""
    if ticket.assignee is not None and ticket.assignee.is_active:
        return [ticket.assignee]
    return list(on_duty()[0])


def escalation(ticket: Ticket, to: Sequence[notify.Someone], *, why: str) -> None:
    text = render_to_string(
        "tickets/escalation.txt",
        {
            "ticket": ticket,
            "why": why,
            "first_response_due": staff_when(ticket.first_response_due),
            "received": staff_when(ticket.received_at),
        },
    )
    notify.tell(
        to,
        NotificationKind.ESCALATION,
        title=f"[{ticket.ref}] Level {ticket.severity} ticket needs an agent now: {ticket.subject}",
        text=text,
        ticket=ticket,
    )


def staff_when(value: datetime | None) -> str:
    """'Mon 23 Nov 09:30' in English whatever language the thread has active: a staff notice
    can be sent from a client's request in the portal (where the client's language is on)."""
    if value is None:
        return "—"
    return when_words(timezone.localtime(value), this_year=timezone.localtime().year)
