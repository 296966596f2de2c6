"""The protocol's data as the pure core wants it: calendar and clock targets, cached (and who
is on duty, for the alerts of level-1 and level-2 tickets).

Every action recomputes clocks and every acknowledgement names its level, so these are read from
the database at most every few seconds per process; an edit in the admin clears the cache of the
process that made it at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import Any, cast

from django.contrib.auth.models import Group, User
from django.db.models import CharField, OuterRef, StringAgg, Subquery, Value
from django.db.models.functions import Cast, ExtractDay, ExtractMonth, ExtractYear
from django.db.models.signals import m2m_changed, post_delete, post_save

from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets
from deskside.tickets.models import BusinessCalendar, ClosingDate, PublicHoliday, SeverityLevel

_TTL_SECONDS = 10.0
_cached: dict[str, tuple[float, object]] = {}


def remembered[T](key: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept for a few seconds under `key` (see `clear`)."""
    hit = _cached.get(key)
    if hit and time.monotonic() - hit[0] < _TTL_SECONDS:
        return cast(T, hit[1])
    value = compute()
    _cached[key] = (time.monotonic(), value)
    return value


def calendar() -> Calendar:
    return remembered("calendar", _read_calendar)


def _read_calendar() -> Calendar:
    # One query: the calendar joined to its closing dates (one row per date, or one with None),
    # each row with its country's public holidays as one "20261225,..." string.
    rows: list[tuple[str, Any, str, str | None, date | None]] = list(
        BusinessCalendar.objects.filter(is_default=True)
        .annotate(public_holidays=_holidays_of(OuterRef("holiday_country")))
        .values_list(
            "timezone", "opening_hours", "holiday_country", "public_holidays", "closing_dates__date"
        )
    )
    if not rows:  # no default calendar: the model's defaults (Brussels hours, Belgian holidays)
        unsaved = BusinessCalendar()
        country = unsaved.holiday_country
        holidays = PublicHoliday.objects.filter(country=country).aggregate(days=_day_numbers())
        rows = [(unsaved.timezone, unsaved.opening_hours, country, holidays["days"], None)]
    return _calendar_from_rows(rows)


def _day_numbers() -> StringAgg:
    """Dates as comma-separated YYYYMMDD numbers: arithmetic, unlike a date cast to text, reads
    the same whatever PostgreSQL's DateStyle."""
    number = ExtractYear("date") * 10_000 + ExtractMonth("date") * 100 + ExtractDay("date")
    return StringAgg(Cast(number, CharField()), Value(","))


def _holidays_of(country: OuterRef) -> Subquery:
    dates = (
        PublicHoliday.objects.filter(country=country)
        .order_by()
        .values("country")
        .annotate(days=_day_numbers())
        .values("days")
    )
    return Subquery(dates, output_field=CharField())


def _calendar_from_rows(rows: Sequence[tuple[str, Any, str, str | None, date | None]]) -> Calendar:
    tz, hours, country, holidays, _ = rows[0]
    closed = tuple(sorted(d for *_, d in rows if d is not None))
    known = ",".join(sorted((holidays or "").split(",")))  # in a stable order: a cache key
    return _build_calendar(tz, tuple(tuple(item) for item in hours), country, closed, known)


@cache
def _build_calendar(
    tz: str,
    hours: tuple[tuple[object, ...], ...],
    country: str,
    closed: tuple[date, ...],
    public_holidays: str,
) -> Calendar:
    # Same data → same Calendar object, so its per-day caches survive a TTL refresh.
    # `public_holidays` stays the query's string here: hashing it is cheaper than parsing it.
    return Calendar.from_data(
        tz,
        [(int(str(d)), str(a), str(b)) for d, a, b in hours],
        country or None,
        closed,
        [_from_day_number(int(day)) for day in public_holidays.split(",") if day],
    )


def _from_day_number(number: int) -> date:
    return date(number // 10_000, number // 100 % 100, number % 100)


def levels() -> dict[int, SeverityLevel]:
    """The severity levels by number (names, definitions, effort and clock targets)."""
    return remembered("levels", lambda: {row.level: row for row in SeverityLevel.objects.all()})


def level(number: int) -> SeverityLevel:
    """One level's row; raises SeverityLevel.DoesNotExist for a level that is not configured."""
    row = levels().get(number)
    if row is None:
        raise SeverityLevel.DoesNotExist(f"no severity level {number}")
    return row


def targets() -> dict[int, Targets]:
    return remembered(
        "targets", lambda: {number: targets_of(row) for number, row in levels().items()}
    )


def targets_of(row: SeverityLevel) -> Targets:
    return Targets(
        first_response=row.first_response,
        next_update=row.update_interval,
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


# Staff and their groups too: who is on duty (duty.on_duty) is read through this cache.
def _clear_unless_sign_in(update_fields: frozenset[str] | None = None, **kwargs: object) -> None:
    """Every sign-in saves the user's last_login alone: that changes nothing cached here."""
    if update_fields is None or not update_fields <= {"last_login"}:
        clear()


for _model in (BusinessCalendar, ClosingDate, PublicHoliday, SeverityLevel, User, Group):
    saved = _clear_unless_sign_in if _model is User else clear
    post_save.connect(saved, sender=_model, dispatch_uid=f"policy-{_model.__name__}-save")
    post_delete.connect(clear, sender=_model, dispatch_uid=f"policy-{_model.__name__}-delete")
m2m_changed.connect(clear, sender=User.groups.through, dispatch_uid="policy-user-groups")
