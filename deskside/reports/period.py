"""The period a report covers: a week, a month, a quarter or any run of days, in the calendar's
time zone (Brussels), so that a day of the report is a day of the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

MAX_DAYS = 366  # a custom period of up to a year: the load chart keeps a bar per day


class Kind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    kind: Kind
    first: date
    last: date  # included

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """From the first day's local midnight to the local midnight after the last day: a day
        of 23 or 25 hours at a DST change is counted whole."""
        start = datetime.combine(self.first, time(0), tzinfo=tz)
        return start, datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def label(self) -> str:
        if self.kind == Kind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"Week {week} of {year} ({self.first:%d %b} – {self.last:%d %b %Y})"
        if self.kind == Kind.MONTH:
            return f"{self.first:%B %Y}"
        if self.kind == Kind.QUARTER:
            return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"

    def following(self, today: date) -> Period | None:
        """The period after this one, once it has begun: one to come has nothing in it yet,
        and a pager offers none."""
        after = self.shifted(1)
        return after if after.first <= today else None

    def shifted(self, step: int) -> Period:
        """The period before (-1) or after (+1): same kind; a custom one of the same length."""
        if self.kind == Kind.CUSTOM:
            length = (self.last - self.first).days + 1
            first = self.first + timedelta(days=step * length)
            return Period(Kind.CUSTOM, first, first + timedelta(days=length - 1))
        anchor = self.first - timedelta(days=1) if step < 0 else self.last + timedelta(days=1)
        return period_of(self.kind, anchor)


def period_of(kind: Kind, day: date) -> Period:
    """The week (Monday first), month or quarter that holds `day`."""
    if kind == Kind.WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == Kind.MONTH:
        return Period(kind, day.replace(day=1), _month_end(day.year, day.month))
    if kind == Kind.QUARTER:
        month = (day.month - 1) // 3 * 3 + 1
        return Period(kind, date(day.year, month, 1), _month_end(day.year, month + 2))
    return Period(kind, day, day)


def custom(first: date, last: date) -> Period:
    if last < first:
        first, last = last, first
    last = min(last, first + timedelta(days=MAX_DAYS - 1))
    return Period(Kind.CUSTOM, first, last)


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)
