"""Counters that only grow, for /metrics: mails taken in (by door and outcome) and clock
warnings and breaches (by clock).

Counting them at each scrape would read every row: at two million mails a GROUP BY takes
130-280 ms on SQLite, even from a covering index. Instead a periodic task adds the rows written
since its last run to a few Tally rows, reading a range of the primary key only, and a scrape
reads those few rows.

A range of ids is counted only once SETTLE has passed since its highest id was seen: on
PostgreSQL an id is handed out when its row is inserted, not when its transaction commits, so a
lower id may still appear after a higher one was read. Every Deskside transaction ends well
within SETTLE. A row is counted once, as it is then: a mail with the outcome it had a minute or
two after it arrived (a held mail decided later stays counted as held; the held mail gauge says
how many wait now), and a mail still being processed (STORED) holds the count back until it is
done. So the counters trail the tables by one to two minutes, and never go down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from deskside.mail.models import InboundMail, InboundStatus
from deskside.runtime.models import Tally, TallyMark
from deskside.tickets.models import Event, EventKind

SETTLE = timedelta(seconds=60)


@dataclass(frozen=True)
class Source:
    """What one tally counts: rows of `model` matching `rows`, by the values of `fields`."""

    name: str
    model: type[models.Model]
    fields: tuple[str, ...]
    rows: Q
    # The highest id that may be counted now, given the highest id seen (None: all of it).
    ready_to: Callable[[int], int] | None = None


def _mails_ready_to(seen_to: int) -> int:
    """A mail still STORED has no outcome yet: count only below the first of them."""
    first = InboundMail.objects.filter(status=InboundStatus.STORED).aggregate(first=Min("pk"))
    return seen_to if first["first"] is None else min(seen_to, first["first"] - 1)


MAILS = Source(
    "mails",
    InboundMail,
    ("door", "outcome"),
    ~Q(status=InboundStatus.STORED),
    _mails_ready_to,
)
CLOCK_ALERTS = Source(
    "clock_alerts",
    Event,
    ("kind", "data__clock"),
    Q(kind__in=(EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH)),
)
SOURCES = (MAILS, CLOCK_ALERTS)


def advance_all(now: datetime | None = None) -> int:
    """Bring every tally up to date; returns how many rows were counted."""
    now = now or timezone.now()
    return sum(advance(source, now) for source in SOURCES)


def advance(source: Source, now: datetime) -> int:
    """Count the settled rows not counted yet, then note the highest id for the next run."""
    mark, _ = TallyMark.objects.get_or_create(name=source.name)
    counted = 0
    if mark.seen_at is not None and now - mark.seen_at >= SETTLE:
        top = source.ready_to(mark.seen_to) if source.ready_to else mark.seen_to
        if top > mark.counted_to:
            counted = _count(source, mark.counted_to, top)
    mark.refresh_from_db()
    if mark.seen_at is None or mark.counted_to >= mark.seen_to:
        highest = source.model._default_manager.aggregate(top=Max("pk"))["top"] or 0
        TallyMark.objects.filter(pk=mark.pk, counted_to=mark.counted_to).update(
            seen_to=highest, seen_at=now
        )
    return counted


def _count(source: Source, after: int, upto: int) -> int:
    """Add the rows with ids in (after, upto] to the tally. Read first, outside the write
    transaction: the first run on a large table reads for a while and must not hold SQLite's
    write lock meanwhile. Nothing is added if another run counted this range first."""
    rows = (
        source.model._default_manager.filter(source.rows, pk__gt=after, pk__lte=upto)
        .values(*source.fields)
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {_labels(row, source.fields): int(row["n"]) for row in rows}
    with transaction.atomic():
        taken = TallyMark.objects.filter(name=source.name, counted_to=after).update(counted_to=upto)
        if not taken:
            return 0
        for labels, n in found.items():
            if not Tally.objects.filter(name=source.name, labels=labels).update(
                value=F("value") + n
            ):
                Tally.objects.create(name=source.name, labels=labels, value=n)
    return sum(found.values())


def _labels(row: dict[str, object], fields: tuple[str, ...]) -> str:
    return ",".join(str(row[field] or "") for field in fields)


def read(source: Source) -> dict[tuple[str, ...], int]:
    """The tally's values by label values, in the order of `source.fields`."""
    return {
        tuple(labels.split(",")): value
        for labels, value in Tally.objects.filter(name=source.name).values_list("labels", "value")
    }
