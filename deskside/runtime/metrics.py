"""/metrics: the desk's figures in Prometheus' text format (docs/deploy.md, Health and metrics).

Every figure is read at the scrape from an index, or from a tally (deskside/runtime/tally.py)
where only a count of millions of rows would do, so a scrape costs the same at a thousand
tickets as at a million. The request latency comes from deskside/runtime/latency.py.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_tasks_db.models import DBTaskResult
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from deskside.accounts.ratelimit import client_ip
from deskside.core import levels
from deskside.core.clocks import Clock
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.runtime import health, latency, tally
from deskside.tickets.models import EventKind, Ticket
from deskside.tickets.models.ticket import OPEN_STATUSES
from deskside.webhooks.models import Delivery, DeliveryStatus, Endpoint

# Label values named up front, so that each gauge and counter exists from the start at 0 and
# the first alert is seen as an increase.
LEVELS = (*(str(level) for level in levels.LEVELS), "none")
CLOCKS = tuple(clock.value for clock in Clock)


def allowed(request: HttpRequest) -> bool:
    """From this machine (the client's own address, behind a trusted proxy), or with the bearer
    token of DESKSIDE_METRICS_TOKEN."""
    token = settings.DESKSIDE_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and constant_time_compare(given[7:], token):
        return True
    try:
        return ipaddress.ip_address(client_ip(request)).is_loopback
    except ValueError:
        return False


def exposition() -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DeskCollector())
    registry.register(latency.collector())
    return generate_latest(registry)


class DeskCollector:
    """The figures read from the database, read anew at every scrape."""

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        now = timezone.now()
        yield from _mails(now)
        yield from _outbox(now)
        yield from _webhooks(now)
        yield _tickets_open()
        yield from _clock_alerts()
        yield _gauge(
            "deskside_clock_sweep_lag_seconds",
            "How far behind the clock sweep is: now minus the oldest due check of an open "
            "ticket (0 when none is due).",
            _seconds(_sweep_lag(now)) or 0.0,
        )
        yield from _tasks(now)
        age = health.scheduler_lease_age(now)
        yield _gauge(
            "deskside_scheduler_lease_age_seconds",
            "Since the scheduler last renewed its lease (+Inf when no scheduler holds it).",
            math.inf if age is None else age.total_seconds(),
        )
        yield _gauge(
            "deskside_metrics_collect_seconds",
            "How long reading these figures from the database took.",
            time.perf_counter() - started,
        )


def _mails(now: datetime) -> Iterator[Metric]:
    counted = tally.read(tally.MAILS)
    mails = CounterMetricFamily(
        "deskside_mails",
        "Mails taken in, by door and outcome (counted a minute or two after they arrive).",
        labels=["door", "outcome"],
    )
    for door in Door.values:
        for outcome in Outcome.values:
            mails.add_metric([door, outcome], counted.get((door, outcome), 0))
    yield mails
    stored = health.stored_mail(now)
    yield _gauge(
        "deskside_mails_stored_waiting",
        "Mails a door accepted that are not processed yet.",
        stored.waiting,
    )
    yield _gauge(
        "deskside_mails_stored_oldest_seconds",
        "Age of the oldest mail not processed yet (0 when none waits).",
        _seconds(stored.oldest) or 0.0,
    )
    yield _gauge(
        "deskside_held_mails",
        "Mails held for review (quarantine), waiting for a decision.",
        InboundMail.objects.filter(status=InboundStatus.QUARANTINED).count(),
    )


def _outbox(now: datetime) -> Iterator[Metric]:
    found = health.outbox(now)
    yield _gauge("deskside_outbox_queued", "Mails waiting to be sent.", found.queued)
    yield _gauge("deskside_outbox_due", "Mails waiting to be sent whose time has come.", found.due)
    yield _gauge(
        "deskside_outbox_oldest_due_seconds",
        "How long the longest-due mail has been due (0 when none is).",
        _seconds(found.oldest_due) or 0.0,
    )
    yield _gauge(
        "deskside_outbox_failed",
        "Mails given up after their last attempt (failed for good).",
        OutboundMail.objects.filter(status=OutboundStatus.FAILED).count(),
    )


def _webhooks(now: datetime) -> Iterator[Metric]:
    """Like the outbox: what waits, what is due and how long it has been (the due index)."""
    queued = Delivery.objects.filter(status=DeliveryStatus.QUEUED)
    due = queued.filter(next_attempt_at__lte=now).aggregate(
        n=Count("pk"), first=Min("next_attempt_at")
    )
    yield _gauge(
        "deskside_webhook_deliveries_queued",
        "Webhook deliveries waiting to be sent (a paused endpoint's included).",
        queued.count(),
    )
    yield _gauge(
        "deskside_webhook_deliveries_due", "Webhook deliveries whose time has come.", due["n"]
    )
    yield _gauge(
        "deskside_webhook_oldest_due_seconds",
        "How long the longest-due webhook delivery has been due (0 when none is).",
        _seconds(now - due["first"] if due["first"] else None) or 0.0,
    )
    yield _gauge(
        "deskside_webhook_endpoints_paused",
        "Webhook endpoints paused after failing for days: their events wait for a resume.",
        Endpoint.objects.filter(paused_at__isnull=False).count(),
    )


def _tickets_open() -> Metric:
    """From the queue's partial index, which holds the open tickets only."""
    found = {
        (str(row["severity"] or "none"), row["status"]): row["n"]
        for row in Ticket.objects.filter(in_queue=True)
        .values("severity", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    metric = GaugeMetricFamily(
        "deskside_tickets_open", "Open tickets, by level and status.", labels=["level", "status"]
    )
    for level in LEVELS:
        for status in OPEN_STATUSES:
            metric.add_metric([level, status.value], found.get((level, status.value), 0))
    return metric


def _clock_alerts() -> Iterator[Metric]:
    counted = tally.read(tally.CLOCK_ALERTS)
    for kind, name, what in (
        (EventKind.CLOCK_WARNING, "deskside_clock_warnings", "Clocks that reached 75%"),
        (EventKind.CLOCK_BREACH, "deskside_clock_breaches", "Clocks breached"),
    ):
        metric = CounterMetricFamily(name, f"{what}, by clock.", labels=["clock"])
        for clock in CLOCKS:
            metric.add_metric([clock], counted.get((kind.value, clock), 0))
        yield metric


def _sweep_lag(now: datetime) -> timedelta | None:
    """The sweep reads the open tickets whose next check has come, oldest first (the
    next_check_at index); the oldest of them says how far behind it is."""
    oldest = (
        Ticket.objects.filter(next_check_at__lte=now, status__in=OPEN_STATUSES)
        .order_by("next_check_at")
        .values_list("next_check_at", flat=True)
        .first()
    )
    return None if oldest is None else now - oldest


def _tasks(now: datetime) -> Iterator[Metric]:
    """Waiting runs only: the task table's partial index holds exactly those."""
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    depth = GaugeMetricFamily(
        "deskside_tasks_ready", "Task runs waiting for a worker, by queue.", labels=["queue"]
    )
    found = dict(
        ready.values("queue_name").annotate(n=Count("pk")).order_by().values_list("queue_name", "n")
    )
    for queue in settings.TASKS["default"].get("QUEUES", ["default"]):
        depth.add_metric([queue], found.pop(queue, 0))
    for queue, n in found.items():
        depth.add_metric([queue], n)
    yield depth
    oldest = DBTaskResult.objects.ready().aggregate(first=Min("enqueued_at"))["first"]
    yield _gauge(
        "deskside_tasks_oldest_ready_seconds",
        "How long the oldest run that could start has waited for a worker (0 when none).",
        (now - oldest).total_seconds() if oldest else 0.0,
    )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()
