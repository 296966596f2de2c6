"""The open backlog over the period and the oldest open tickets, in pure Python.

Unlike the other figures these are not about the tickets received in the period: the backlog on
a day is every ticket (with the filters) that was new, open or waiting at the end of that day,
at its level now; the oldest open tickets are those open now, whenever they came in."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from deskside.core.business_time import Calendar
from deskside.core.levels import LEVELS
from deskside.reports.clocks import Span
from deskside.reports.period import Period
from deskside.reports.rows import DOORS, TicketRow

LEVEL_KEYS: tuple[int | None, ...] = (1, 2, 3, 4, None)


@dataclass(frozen=True)
class DayBacklog:
    day: date
    at: datetime  # the end of the day, or now for today
    by_level: dict[int | None, frozenset[int]]  # level now → the tickets open then

    @property
    def total(self) -> int:
        return sum(len(t) for t in self.by_level.values())

    def count(self, level: int | None) -> int:
        return len(self.by_level[level])


def backlog(
    tickets: list[TicketRow],
    spans: dict[int, tuple[Span, ...]],
    period: Period,
    cal: Calendar,
    now: datetime,
) -> list[DayBacklog]:
    """Per day of the period up to today, the tickets open at its end, by level."""
    days = []
    for day in period.days():
        at = min(day_end(day, cal), now)
        if datetime.combine(day, time(0), tzinfo=cal.tz) > now:
            break
        open_then = [t for t in tickets if open_at(spans.get(t.pk, ()), at)]
        by_level = {
            level: frozenset(t.pk for t in open_then if t.level == level) for level in LEVEL_KEYS
        }
        days.append(DayBacklog(day, at, by_level))
    return days


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
    counted: Counter[tuple[date, int | None]] = Counter(
        (t.received_at.astimezone(cal.tz).date(), t.level) for t in tickets
    )
    doors: Counter[tuple[date, str]] = Counter(
        (t.received_at.astimezone(cal.tz).date(), t.door) for t in tickets
    )
    return [
        DayLoad(
            day,
            {level: counted[(day, level)] for level in (*LEVELS, None)},
            {door: doors[(day, door)] for door in DOORS},
        )
        for day in period.days()
    ]
