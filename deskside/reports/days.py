"""The rollup's backlog by day (BacklogDay): each open span of a ticket adds one on the day it
began and takes one away on the day it ended, per organisation and for every organisation; the
backlog at a day's end is the sum of the days up to it. Written with the spans when a ticket is
judged (deskside/reports/rollup.py), read by the lead's page for its backlog.

A move belongs to the day whose end is at or after it: a span that ends exactly at midnight is
not open at the end of the day before (load.sweep counts a span open at `at` from its start,
included, to its end, excluded), one that begins then already is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, DateField, F, Q, Sum, Value, When

from deskside import db
from deskside.core.business_time import Calendar
from deskside.reports.clocks import Span
from deskside.reports.load import LEVEL_KEYS, DayBacklog, day_end, day_ends, open_at
from deskside.reports.models import BacklogDay, SpanRow
from deskside.reports.period import Period
from deskside.reports.rows import Filters

EVERY = 0  # BacklogDay.organisation_id of the sums over every organisation
NO_LEVEL = 0  # BacklogDay.level of the tickets without one

Moves = Counter[tuple[date, int, int]]  # (day, organisation, level) → moves


def day_of(at: datetime, tz: ZoneInfo) -> date:
    """The day a move at `at` counts for: the day whose end is at or after it."""
    local = at.astimezone(tz)
    return local.date() - timedelta(days=1) if local.time() == time(0) else local.date()


def moves(
    spans: Iterable[tuple[int | None, int | None, Span]], tz: ZoneInfo, sign: int = 1
) -> Moves:
    """The moves of `spans` (organisation, level, span); `sign` -1: those taken away."""
    found: Moves = Counter()
    for organisation, level, (start, end) in spans:
        keys = [EVERY] if organisation is None else [EVERY, organisation]
        for at, step in ((start, sign), (end, -sign)):
            if at is None:
                continue
            for key in keys:
                found[(day_of(at, tz), key, NO_LEVEL if level is None else level)] += step
    return found


def former(ids: list[int], tz: ZoneInfo) -> Moves:
    """The moves of the spans the rollup holds for these tickets, to be taken away (one
    query)."""
    rows = SpanRow.objects.filter(ticket_id__in=ids).order_by()
    found = rows.values_list("organisation_id", "level", "start", "end")
    return moves(((org, level, (start, end)) for org, level, start, end in found), tz, sign=-1)


def write(found: Moves) -> None:
    """Add the moves to the days' sums (one statement)."""
    rows = ((day, org, level, n) for (day, org, level), n in found.items() if n)
    db.add_up(BacklogDay, ("day", "organisation_id", "level", "moves"), rows)


def backlog(period: Period, filters: Filters, now: datetime, cal: Calendar) -> list[DayBacklog]:
    """load.backlog from the days' sums (one query), and for today the spans that began or
    ended since midnight (one query, a day's)."""
    ats = day_ends(period, cal, now)
    if not ats:
        return []
    days = period.days()[: len(ats)]
    first = days[0]
    rows = BacklogDay.objects.filter(
        organisation_id=EVERY if filters.organisation is None else filters.organisation,
        day__lte=days[-1],
    )
    if filters.level is not None:
        rows = rows.filter(level=filters.level)
    # Every day before the period summed as one, its days apart.
    bucket = Case(When(day__lt=first, then=Value(None)), default=F("day"), output_field=DateField())
    summed = rows.order_by().annotate(bucket=bucket).values("bucket", "level")
    by_day: Counter[tuple[date | None, int]] = Counter()
    for bucket_day, key, n in summed.annotate(n=Sum("moves")).values_list("bucket", "level", "n"):
        by_day[(bucket_day, key)] += n
    open_now = {level: by_day[(None, _key(level))] for level in LEVEL_KEYS}
    found = []
    for day, at in zip(days, ats, strict=True):
        for level in LEVEL_KEYS:
            open_now[level] += by_day[(day, _key(level))]
        found.append(DayBacklog(day, at, dict(open_now)))
    if ats[-1] < day_end(days[-1], cal):
        found[-1] = _today(found[-1], filters, now, cal)
    return found


def _key(level: int | None) -> int:
    return NO_LEVEL if level is None else level


def _today(summed: DayBacklog, filters: Filters, now: datetime, cal: Calendar) -> DayBacklog:
    """Today's backlog at `now`: the day's sum says it at midnight tonight; from the open at
    midnight this morning, the spans that began or ended since then moved it."""
    midnight = datetime.combine(summed.day, time(0), tzinfo=cal.tz)
    rows = SpanRow.objects.filter(Q(start__gt=midnight) | Q(end__gt=midnight)).order_by()
    if filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation)
    if filters.level is not None:
        rows = rows.filter(level=filters.level)
    counted = dict(summed.by_level)
    for level, start, end in rows.values_list("level", "start", "end"):
        span = ((start, end),)
        # Tonight's sum counted the span as it stands at midnight tonight; now, as it is now.
        tonight = open_at(span, day_end(summed.day, cal))
        counted[level] += int(open_at(span, now)) - int(tonight)
    return DayBacklog(summed.day, summed.at, counted)
