"""The open backlog over the period and the oldest open tickets, in pure Python.

Unlike the other figures these are not about the tickets received in the period: the backlog on
a day is every ticket (with the filters) that was new, open or waiting at the end of that day,
at its level now; the oldest open tickets are those open now, whenever they came in."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

from deskside.core.business_time import Calendar
from deskside.core.levels import LEVELS
from deskside.reports.clocks import Span
from deskside.reports.period import Period
from deskside.reports.rows import DOORS, TicketRow
from deskside.reports.stored import as_stored

LEVEL_KEYS: tuple[int | None, ...] = (1, 2, 3, 4, None)


@dataclass(frozen=True)
class DayBacklog:
    day: date
    at: datetime  # the end of the day, or now for today
    by_level: dict[int | None, int]  # level now → the tickets open then

    @property
    def total(self) -> int:
        return sum(self.by_level.values())

    def count(self, level: int | None) -> int:
        return self.by_level[level]


OpenSpans = dict[int, tuple[int | None, tuple[Span, ...]]]  # ticket → its level now, its spans


def backlog(spans: OpenSpans, period: Period, cal: Calendar, now: datetime) -> list[DayBacklog]:
    """Per day of the period up to today, the tickets open at its end, by level."""
    ats = day_ends(period, cal, now)
    flat = ((level, s, e) for level, ticket_spans in spans.values() for s, e in ticket_spans)
    return days_of(sweep(flat, ats), period, ats)


def sweep[T: Any](  # T: a time, a datetime or the database's text of one
    spans: Iterable[tuple[int | None, T, T | None]], ats: list[T]
) -> dict[int | None, list[int]]:
    """Per level, how many of `spans` (level, start, end; None: open still) cover each of the
    times `ats`, in order: comparable values of any kind (datetimes, or the database's text).

    One pass: each span adds one from the first time it covers to the last, as a difference per
    level (a ticket's spans never overlap: a new one starts only after one ended), rather than
    every ticket asked about every time."""
    moves = {level: [0] * (len(ats) + 1) for level in LEVEL_KEYS}
    for level, start, end in spans:
        first = bisect_left(ats, start)
        after = len(ats) if end is None else bisect_left(ats, end)
        if first < after:
            moves[level][first] += 1
            moves[level][after] -= 1
    return {level: list(accumulate(moves[level][:-1])) for level in LEVEL_KEYS}


def days_of(
    open_then: dict[int | None, list[int]], period: Period, ats: list[datetime]
) -> list[DayBacklog]:
    return [
        DayBacklog(day, at, {level: open_then[level][i] for level in LEVEL_KEYS})
        for i, (day, at) in enumerate(zip(period.days(), ats, strict=False))
    ]


def day_ends(period: Period, cal: Calendar, now: datetime) -> list[datetime]:
    """When each day of the period up to today ends (now, for today)."""
    ats = []
    for day in period.days():
        if datetime.combine(day, time(0), tzinfo=cal.tz) > now:
            break
        ats.append(min(day_end(day, cal), now))
    return ats


def open_on(spans: OpenSpans, at: datetime, levels: Collection[int | None]) -> frozenset[int]:
    """The tickets behind a figure of the backlog: open at `at`, at one of `levels` now."""
    return frozenset(
        pk
        for pk, (level, ticket_spans) in spans.items()
        if level in levels and open_at(ticket_spans, at)
    )


def day_end(day: date, cal: Calendar) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz)


def open_at(spans: tuple[Span, ...], at: datetime) -> bool:
    return any(s <= at and (e is None or at < e) for s, e in spans)


@dataclass(frozen=True)
class DayLoad:
    day: date
    by_level: dict[int | None, int]  # None: no level
    by_door: dict[str, int] = field(default_factory=dict)  # rows.DOORS

    @property
    def total(self) -> int:
        return sum(self.by_level.values())


def load(tickets: list[TicketRow], period: Period, cal: Calendar) -> list[DayLoad]:
    """Tickets received per day of the period, by assessed level (None: no level)."""
    days = period.days()
    # A ticket's day: how many days of the period began at or before it was received, found
    # among the days' starts as the times were read (no time converted: tens of thousands).
    starts = [datetime.combine(day, time(0), tzinfo=cal.tz) for day in days[1:]]
    read = {False: [as_stored(start) for start in starts], True: starts}
    counted: Counter[tuple[int, int | None]] = Counter()
    doors: Counter[tuple[int, str]] = Counter()
    for t in tickets:
        index = bisect_right(read[isinstance(t.received, datetime)], t.received)
        counted[(index, t.level)] += 1
        doors[(index, t.door)] += 1
    return [
        DayLoad(
            day,
            {level: counted[(i, level)] for level in (*LEVELS, None)},
            {door: doors[(i, door)] for door in DOORS},
        )
        for i, day in enumerate(days)
    ]
