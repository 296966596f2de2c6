"""Worker tasks of the tickets app."""

from __future__ import annotations

from datetime import datetime

from django.db.models import OuterRef, Q, Subquery
from django.tasks import task
from django.utils import timezone

from deskside.tickets import actions, cooperation, policy
from deskside.tickets.models import Event, EventKind, Status, Ticket
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


def sweep_cooperation(now: datetime | None = None, limit: int = 500) -> int:
    """Send the reminders and make the automatic closes that are due on tickets waiting on the
    client (deskside/tickets/cooperation.py). Reads the waiting tickets (the status index) with
    the start of their wait, then their reminders since: two queries, whatever the number of
    tickets, and one action for each ticket whose step is due. The cost follows the number of
    waiting tickets, not of all tickets. Returns how many steps were taken."""
    now = now or timezone.now()
    last_wait = (
        Event.objects.filter(ticket=OuterRef("pk"), kind=EventKind.WAITING)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    waiting = list(
        Ticket.objects.filter(status=Status.WAITING_ON_CLIENT, severity__isnull=False)
        .annotate(silent_since=Subquery(last_wait))
        .values_list("pk", "severity", "silent_since")
    )
    reminders: dict[int, list[datetime]] = {}
    for chunk in range(0, len(waiting), 500):
        ids = [pk for pk, _level, _since in waiting[chunk : chunk + 500]]
        sent = Event.objects.filter(ticket_id__in=ids, kind=EventKind.REMINDER).order_by(
            "created_at", "id"
        )
        for pk, at in sent.values_list("ticket_id", "created_at"):
            reminders.setdefault(pk, []).append(at)
    calendar, levels = policy.calendar(), policy.levels()
    due: list[int] = []
    for pk, level, since in waiting:
        if since is None or level not in levels:
            continue
        silence = cooperation.Silence(
            since=since, reminders=tuple(t for t in reminders.get(pk, ()) if t >= since)
        )
        if cooperation.next_step(silence, levels[level].cooperation_periods(), calendar).due <= now:
            due.append(pk)
    for ticket in Ticket.objects.filter(pk__in=due[:limit]).order_by("pk"):
        actions.remind_or_close(ticket, now)
    return len(due[:limit])


@task()
def sweep_waiting() -> int:
    return sweep_cooperation()
