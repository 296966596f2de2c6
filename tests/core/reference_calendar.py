"""A slow, obviously correct business calendar, to check the fast one against.

It walks UTC minutes and asks of each one "is this minute open?" by turning it into local wall
time and looking at the weekday, the opening periods and the holiday list. It only answers for
whole-minute instants and whole-minute durations, which is what the property tests generate.
Nothing here reuses `Calendar`'s machinery: only its public fields (tz, weekly, holidays, dates).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays

from deskside.core.business_time import Calendar

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 1 << 15  # minutes per lazily computed block (about 23 days)


def _minute_of_day(t: time) -> int:
    return t.hour * 60 + t.minute


class ReferenceCalendar:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.holidays = (
            holidays.country_holidays(calendar.holiday_country)
            if calendar.holiday_country
            else {}
        )
        # Per weekday: opening periods as (first open minute, first closed minute) of the day.
        self.periods = [
            [(_minute_of_day(o), _minute_of_day(c) or 1440) for o, c in day]
            for day in calendar.weekly
        ]
        self._day_cache: dict[date, list[tuple[int, int]]] = {}
        self._chunks: dict[int, bytearray] = {}

    # -- the definition ------------------------------------------------------------------------

    def periods_on(self, day: date) -> list[tuple[int, int]]:
        """The opening periods of a local date: none on holidays and closed dates."""
        if day not in self._day_cache:
            closed = day in self.holidays or day in self.calendar.closed_dates
            self._day_cache[day] = [] if closed else self.periods[day.weekday()]
        return self._day_cache[day]

    def minute_is_open(self, minute: int) -> bool:
        """Is the UTC minute starting `minute` minutes after the epoch open, in local wall time?"""
        local = (_EPOCH + timedelta(minutes=minute)).astimezone(self.tz)
        wall = local.hour * 60 + local.minute
        return any(o <= wall < c for o, c in self.periods_on(local.date()))

    # -- a cache of the definition, so the walks below stay fast enough ---------------------------

    def is_open_minute(self, minute: int) -> bool:
        block, offset = divmod(minute, _CHUNK)
        chunk = self._chunks.get(block)
        if chunk is None:
            start = block * _CHUNK
            chunk = self._chunks[block] = bytearray(
                self.minute_is_open(start + m) for m in range(_CHUNK)
            )
        return chunk[offset] == 1

    # -- the questions, answered by walking minutes -------------------------------------------

    def is_open(self, t: datetime) -> bool:
        return self.is_open_minute(_to_minute(t))

    def next_opening(self, t: datetime) -> datetime:
        minute = _to_minute(t)
        while not self.is_open_minute(minute):
            minute += 1
        return _from_minute(minute)

    def add(self, t: datetime, duration: timedelta) -> datetime:
        left = _whole_minutes(duration)
        if left == 0:
            return self.next_opening(t)
        minute = _to_minute(t)
        while True:
            if self.is_open_minute(minute):
                left -= 1
                if left == 0:
                    return _from_minute(minute + 1)  # the end of the last open minute
            minute += 1

    def between(self, a: datetime, b: datetime) -> timedelta:
        first, last = _to_minute(a), _to_minute(b)
        if last < first:
            return -self.between(b, a)
        count = sum(1 for m in range(first, last) if self.is_open_minute(m))
        return timedelta(minutes=count)


def _whole_minutes(duration: timedelta) -> int:
    minutes, rest = divmod(duration, timedelta(minutes=1))
    assert not rest, "the reference only handles whole minutes"
    return int(minutes)


def _to_minute(t: datetime) -> int:
    return _whole_minutes(t - _EPOCH)


def _from_minute(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)
