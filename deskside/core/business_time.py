"""Business time: the hours in which the protocol's clocks run.

Pure Python, no Django: the clocks, the benchmark and the tests all use this module directly.

Opening hours are wall-clock times in the calendar's time zone, so they are resolved day by day
in local time and only then turned into instants. Each local year is compiled once into sorted
lists of opening and closing instants (integer microseconds since the Unix epoch) together with
the business time elapsed in that year before each opening. Every question then becomes one or
two binary searches instead of a walk over minutes or days, which keeps `add()` well above
100,000 calls a second while staying exact to the microsecond across DST changes.

Semantics, in one place:

- An opening period is half-open: open at its opening instant, closed at its closing instant.
- `add(t, d)` with `d > 0` returns the earliest instant at which `d` of business time has
  passed since `t`; when that falls on a closing time it is the closing instant itself, not the
  next opening. `add(t, 0)` is `next_opening(t)`.
- `between(a, b)` is signed: `between(b, a) == -between(a, b)`, so it is negative when `b < a`.
- Opening or closing times that fall inside a DST gap or fold (02:00-03:00 in Brussels) are
  resolved the way zoneinfo resolves them (`fold=0`); office hours never sit there.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["Calendar", "OpeningPeriod", "WeeklyHours"]

# One opening period of a weekday, in local wall time. A closing time of 00:00 means midnight at
# the end of the day, so a period may run to the end of the day.
OpeningPeriod = tuple[time, time]
# Seven entries, Monday first, each a tuple of opening periods in order.
WeeklyHours = tuple[tuple[OpeningPeriod, ...], ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_US_PER_DAY = 86_400_000_000
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_HH_MM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d|24:00")


@dataclass(frozen=True, slots=True)
class _Year:
    """The opening periods of one local calendar year, as epoch microseconds."""

    year: int
    first_us: int  # local midnight on 1 January
    next_us: int  # local midnight on 1 January of the next year
    starts: list[int]
    ends: list[int]
    done_before: list[int]  # business time in the year before period i opens
    done_after: list[int]  # ... and when it closes
    total: int


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours in a time zone, minus public holidays and extra closing dates.

    The public holidays of `holiday_country` come from `public_holidays` for the years in
    `holiday_years` (the desk keeps them in its database), and from the `holidays` package for
    any other year: that package loads every country's calendar on import (about 30 MB and up to
    a second), which a process that only needs the stored years never pays.
    """

    tz: ZoneInfo
    weekly: WeeklyHours
    holiday_country: str | None = None
    closed_dates: frozenset[date] = frozenset()
    public_holidays: frozenset[date] = frozenset()
    holiday_years: frozenset[int] = frozenset()
    # Per-instance front cache of compiled years; equal calendars also share `_compile_year`.
    _years: dict[int, _Year] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        _check_weekly(self.weekly)

    @classmethod
    def brussels(cls) -> Calendar:
        """The ccs2 calendar: Monday to Friday 09:00-17:00 Brussels time, Belgian holidays."""
        return cls.from_data("Europe/Brussels", [(day, "09:00", "17:00") for day in range(5)], "BE")

    @classmethod
    def from_data(
        cls,
        tz_name: str,
        hours: Iterable[tuple[int, str, str]],
        holiday_country: str | None = None,
        closed_dates: Iterable[date | str] = (),
        public_holidays: Iterable[date] = (),
    ) -> Calendar:
        """Build a calendar from plain stored data.

        `hours` holds (weekday with Monday=0, "HH:MM" opening, "HH:MM" closing); "24:00" closes
        at midnight. Dates may be `date` objects or ISO strings. `public_holidays` are the known
        holidays of `holiday_country`: every year that has one is taken as complete.
        """
        days: list[list[OpeningPeriod]] = [[] for _ in range(7)]
        for weekday, opens, closes in hours:
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            days[weekday].append((_parse_hh_mm(opens), _parse_hh_mm(closes)))
        weekly = tuple(tuple(sorted(day, key=_period_sort_key)) for day in days)
        dates = frozenset(d if isinstance(d, date) else date.fromisoformat(d) for d in closed_dates)
        known = frozenset(public_holidays)
        years = frozenset(day.year for day in known)
        return cls(ZoneInfo(tz_name), weekly, holiday_country, dates, known, years)

    # -- questions -------------------------------------------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Whether `t` lies inside an opening period (opening instant in, closing instant out)."""
        us = _to_us(t)
        year = self._year_at(us)
        i = bisect_right(year.starts, us) - 1
        return i >= 0 and us < year.ends[i]

    def next_opening(self, t: datetime) -> datetime:
        """`t` itself when open, else the next opening instant (in the calendar's time zone)."""
        us = _to_us(t)
        year = self._year_at(us)
        i = bisect_right(year.starts, us) - 1
        if i >= 0 and us < year.ends[i]:
            return t.astimezone(self.tz)
        year, i = self._period_from(year, i + 1)
        return self._from_us(year.starts[i])

    def next_closing(self, t: datetime) -> datetime:
        """The closing instant of the opening period holding `t`, or of the next one if closed."""
        us = _to_us(t)
        year = self._year_at(us)
        i = bisect_right(year.starts, us) - 1
        if i < 0 or us >= year.ends[i]:
            year, i = self._period_from(year, i + 1)
        return self._from_us(year.ends[i])

    def add(self, t: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of business time after `t` (see the module docstring)."""
        left = duration // _MICROSECOND
        if left <= 0:
            if left < 0:
                raise ValueError("add() needs a duration of zero or more")
            return self.next_opening(t)
        us = _to_us(t)
        year = self._year_at(us)
        target = _done_at(year, us) + left
        while target > year.total:
            target -= year.total
            year = self._year(year.year + 1)
        k = bisect_left(year.done_after, target)
        return self._from_us(year.starts[k] + target - year.done_before[k])

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from `a` to `b`; signed, so negative when `b` is before `a`."""
        a_us, b_us = _to_us(a), _to_us(b)
        if b_us < a_us:
            return -self.between(b, a)
        year_a, year_b = self._year_at(a_us), self._year_at(b_us)
        done = _done_at(year_b, b_us) - _done_at(year_a, a_us)
        for y in range(year_a.year, year_b.year):
            done += self._year(y).total
        return timedelta(microseconds=done)

    # -- machinery -------------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        compiled = self._years.get(year)
        if compiled is None:
            compiled = self._years[year] = _compile_year(self, year)
        return compiled

    def _year_at(self, us: int) -> _Year:
        # The UTC year is right except within a few hours of New Year.
        guess = self._year(date.fromordinal(_EPOCH_ORDINAL + us // _US_PER_DAY).year)
        if us < guess.first_us:
            return self._year(guess.year - 1)
        if us >= guess.next_us:
            return self._year(guess.year + 1)
        return guess

    def _period_from(self, year: _Year, i: int) -> tuple[_Year, int]:
        """Period `i` of `year`, moving on to later years while `i` is past the last period."""
        while i >= len(year.starts):
            year, i = self._year(year.year + 1), 0
        return year, i

    def _from_us(self, us: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self.tz)


def _to_us(t: datetime) -> int:
    try:
        return (t - _EPOCH) // _MICROSECOND
    except TypeError:
        # Checked lazily: the subtraction already refuses naive datetimes, for free.
        raise ValueError(f"business time needs an aware datetime, got naive {t!r}") from None


def _done_at(year: _Year, us: int) -> int:
    """Business time elapsed in `year` up to instant `us`."""
    i = bisect_right(year.starts, us) - 1
    if i < 0:
        return 0
    return year.done_before[i] + min(us, year.ends[i]) - year.starts[i]


def _local_us(day: date, wall: time, tz: ZoneInfo) -> int:
    return _to_us(datetime.combine(day, wall, tzinfo=tz))


@functools.lru_cache(maxsize=1024)
def _library_holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # here, not at the top: only for a year that is not known (see Calendar)

    return frozenset(holidays.country_holidays(country, years=year))


def _public_holidays(calendar: Calendar, year: int) -> frozenset[date]:
    if not calendar.holiday_country:
        return frozenset()
    if year in calendar.holiday_years:
        return frozenset(day for day in calendar.public_holidays if day.year == year)
    return _library_holidays(calendar.holiday_country, year)


@functools.lru_cache(maxsize=512)
def _compile_year(calendar: Calendar, year: int) -> _Year:
    closed = calendar.closed_dates | _public_holidays(calendar, year)
    starts: list[int] = []
    ends: list[int] = []
    day = date(year, 1, 1)
    while day.year == year:
        if day not in closed:
            for opens, closes in calendar.weekly[day.weekday()]:
                closing_day = day + _ONE_DAY if closes == _MIDNIGHT else day
                start = _local_us(day, opens, calendar.tz)
                end = _local_us(closing_day, closes, calendar.tz)
                if ends and ends[-1] == start:
                    ends[-1] = end  # back-to-back periods are one: no closing in between
                else:
                    starts.append(start)
                    ends.append(end)
        day += _ONE_DAY
    return _year_table(calendar.tz, year, starts, ends)


def _year_table(tz: ZoneInfo, year: int, starts: list[int], ends: list[int]) -> _Year:
    done_before: list[int] = []
    done_after: list[int] = []
    done = 0
    for start, end in zip(starts, ends, strict=True):
        done_before.append(done)
        done += end - start
        done_after.append(done)
    first_us = _local_us(date(year, 1, 1), _MIDNIGHT, tz)
    next_us = _local_us(date(year + 1, 1, 1), _MIDNIGHT, tz)
    return _Year(year, first_us, next_us, starts, ends, done_before, done_after, done)


def _parse_hh_mm(text: str) -> time:
    if not _HH_MM.fullmatch(text):
        raise ValueError(f"expected a time as HH:MM, got {text!r}")
    if text == "24:00":
        return _MIDNIGHT
    return time.fromisoformat(text)


def _period_sort_key(period: OpeningPeriod) -> time:
    return period[0]


def _check_weekly(weekly: WeeklyHours) -> None:
    """Refuse hours that would make the arithmetic wrong or loop forever."""
    if len(weekly) != 7:
        raise ValueError(f"weekly hours need 7 days (Monday first), got {len(weekly)}")
    if not any(weekly):
        raise ValueError("a calendar must be open at least one period a week")
    for day in weekly:
        previous_close: time | None = None
        for opens, closes in day:
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("opening hours are local wall times without tzinfo")
            if closes != _MIDNIGHT and closes <= opens:
                raise ValueError(f"period {opens}-{closes} closes before it opens")
            if previous_close is not None and (
                previous_close == _MIDNIGHT or opens < previous_close
            ):
                raise ValueError(f"period {opens}-{closes} overlaps the one before it")
            previous_close = closes
