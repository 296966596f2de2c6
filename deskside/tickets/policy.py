"""The protocol's data as the pure core wants it: calendar and clock targets, cached.

Every action recomputes clocks and every acknowledgement names its level, so these are read from
the database at most every few seconds per process; an edit in the admin clears the cache of the
process that made it at once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any

from django.db.models.signals import post_delete, post_save

from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets
from deskside.tickets.models import BusinessCalendar, ClosingDate, PublicHoliday, SeverityLevel

_TTL_SECONDS = 10.0
_cached: dict[str, tuple[float, object]] = {}


def _fresh(key: str) -> object | None:
    hit = _cached.get(key)
    if hit and time.monotonic() - hit[0] < _TTL_SECONDS:
        return hit[1]
    return None


def calendar() -> Calendar:
    hit = _fresh("calendar")
    if isinstance(hit, Calendar):
        return hit
    # The calendar joined to its closing dates (one row per date, or one with None).
    rows: list[tuple[str, Any, str, date | None]] = list(
        BusinessCalendar.objects.filter(is_default=True).values_list(
            "timezone", "opening_hours", "holiday_country", "closing_dates__date"
        )
    )
    value = _calendar_from_rows(rows or [("Europe/Brussels", _BRUSSELS_HOURS, "BE", None)])
    _cached["calendar"] = (time.monotonic(), value)
    return value


_BRUSSELS_HOURS = [[day, "09:00", "17:00"] for day in range(5)]  # when no calendar is set


def _calendar_from_rows(rows: Sequence[tuple[str, Any, str, date | None]]) -> Calendar:
    tz, hours, country, _ = rows[0]
    closed = tuple(sorted(d for *_, d in rows if d is not None))
    known = PublicHoliday.objects.filter(country=country).values_list("date", flat=True)
    return _build_calendar(
        tz, tuple(tuple(item) for item in hours), country, closed, tuple(sorted(known))
    )


@cache
def _build_calendar(
    tz: str,
    hours: tuple[tuple[object, ...], ...],
    country: str,
    closed: tuple[date, ...],
    public_holidays: tuple[date, ...],
) -> Calendar:
    # Same data → same Calendar object, so its per-day caches survive a TTL refresh.
    return Calendar.from_data(
        tz,
        [(int(str(d)), str(a), str(b)) for d, a, b in hours],
        country or None,
        closed,
        public_holidays,
    )


def levels() -> dict[int, SeverityLevel]:
    """The severity levels by number (names, definitions, effort and clock targets)."""
    hit = _fresh("levels")
    if isinstance(hit, dict):
        return hit
    value = {row.level: row for row in SeverityLevel.objects.all()}
    _cached["levels"] = (time.monotonic(), value)
    return value


def level(number: int) -> SeverityLevel:
    """One level's row; raises SeverityLevel.DoesNotExist for a level that is not configured."""
    row = levels().get(number)
    if row is None:
        raise SeverityLevel.DoesNotExist(f"no severity level {number}")
    return row


def targets() -> dict[int, Targets]:
    hit = _fresh("targets")
    if isinstance(hit, dict):
        return hit
    value = {number: targets_of(row) for number, row in levels().items()}
    _cached["targets"] = (time.monotonic(), value)
    return value


def targets_of(row: SeverityLevel) -> Targets:
    return Targets(
        first_response=row.first_response,
        update=row.update_interval,
        goal=row.goal,
        documentation=row.documentation,
        goal_milestones=frozenset(row.goal_milestones),
    )


def effort_rank(level: int | None) -> int | None:
    if level is None:
        return None
    row = levels().get(level)
    return row.effort_rank if row is not None else None


def clear(**kwargs: object) -> None:
    _cached.clear()


for _model in (BusinessCalendar, ClosingDate, PublicHoliday, SeverityLevel):
    post_save.connect(clear, sender=_model, dispatch_uid=f"policy-{_model.__name__}-save")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"policy-{_model.__name__}-delete")
