"""Worker tasks of the tickets app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from deskside.tickets import actions
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import OPEN_STATUSES


def sweep(now: datetime | None = None, limit: int = 500) -> int:
    """Record warnings and breaches for the tickets whose next check has come. Reads the
    `next_check_at` index only: the cost follows the number of due tickets, not of all tickets."""
    now = now or timezone.now()
    due = Ticket.objects.filter(Q(next_check_at__lte=now), status__in=OPEN_STATUSES).order_by(
        "next_check_at"
    )[:limit]
    for ticket in due:
        actions.record_clock_alerts(ticket, now)
    return len(due)


@task()
def sweep_clocks() -> int:
    return sweep()
