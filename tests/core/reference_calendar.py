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
_CHUNK = 60 * 24  # minutes per lazily computed block: one UTC day


def _minute_of_day(t: time) -> int:
    return t.hour * 60 + t.minute


class ReferenceCalendar:
    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self.tz = calendar.tz
        self.holidays = (
            holidays.country_holidays(calendar.holiday_country) if calendar.holiday_country else {}
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
        local = datetime.fromtimestamp(minute * 60, self.tz)
        wall = local.hour * 60 + local.minute
        return any(o <= wall < c for o, c in self.periods_on(local.date()))

    # -- a cache of the definition, so the walks below stay fast enough ---------------------------

    def chunk(self, block: int) -> bytearray:
        """Openness (1 or 0) of the `_CHUNK` minutes of block number `block`."""
        chunk = self._chunks.get(block)
        if chunk is None:
            chunk = self._chunks[block] = bytearray()
            for hour in range(block * _CHUNK, (block + 1) * _CHUNK, 60):
                chunk += self._hour(hour)
        return chunk

    def _hour(self, first: int) -> bytes:
        """Openness of the 60 minutes of the UTC hour starting at minute `first`."""
        start = datetime.fromtimestamp(first * 60, self.tz)
        if start.utcoffset() != datetime.fromtimestamp(first * 60 + 3540, self.tz).utcoffset():
            # The offset changes inside this hour: ask every minute the slow way.
            return bytes(self.minute_is_open(first + m) for m in range(60))
        # One offset for the hour, so local wall time moves on minute by minute with UTC.
        day, wall = start.date(), start.hour * 60 + start.minute
        out = bytearray(60)
        for m in range(60):
            if wall + m == 1440:
                day, wall = day + timedelta(days=1), wall - 1440
            out[m] = any(o <= wall + m < c for o, c in self.periods_on(day))
        return bytes(out)

    def is_open_minute(self, minute: int) -> bool:
        block, offset = divmod(minute, _CHUNK)
        return self.chunk(block)[offset] == 1

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
        block, offset = divmod(_to_minute(t), _CHUNK)
        while True:
            chunk = self.chunk(block)
            if chunk.count(1, offset) < left:  # not in this block: count it and move on
                left -= chunk.count(1, offset)
                block, offset = block + 1, 0
                continue
            for m in range(offset, _CHUNK):
                left -= chunk[m]
                if left == 0:
                    return _from_minute(block * _CHUNK + m + 1)  # end of the last open minute
            block, offset = block + 1, 0

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Open minutes in [a, b), negated when b is before a."""
        first, last = _to_minute(a), _to_minute(b)
        if last < first:
            return -self.between(b, a)
        count = 0
        for block in range(first // _CHUNK, last // _CHUNK + 1):
            lo = max(first - block * _CHUNK, 0)
            hi = min(last - block * _CHUNK, _CHUNK)
            count += self.chunk(block).count(1, lo, hi)
        return timedelta(minutes=count)


def _whole_minutes(duration: timedelta) -> int:
    minutes, rest = divmod(duration, timedelta(minutes=1))
    assert not rest, "the reference only handles whole minutes"
    return int(minutes)


def _to_minute(t: datetime) -> int:
    return _whole_minutes(t - _EPOCH)


def _from_minute(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)
