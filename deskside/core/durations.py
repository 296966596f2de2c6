"""Business time in the words a support lead writes: "30 min", "8 h", "3 business days".

Pure Python, no Django: the admin's duration field reads and writes through this module.

A duration here is always business time (docs/protocol.md, Channel and hours): "8 h" is eight
hours of opening time, never eight hours on the wall clock. A *business day* is the opening hours
of one day of the calendar (8 h in Brussels, 09:00-17:00), so "3 business days" is 24 business
hours. That is why a Python timedelta must never be shown: `timedelta(hours=24)` prints as
"1 day, 0:00:00" and reads as one day, when it is three business days.

`format_duration` writes the largest units that divide the duration exactly ("2 business days",
"1 business day 4 h", "1 h 30 min", "90 s" only for what is not whole minutes), and
`parse_duration(format_duration(d)) == d` for every non-negative duration of whole seconds.
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["FORMAT_HINT", "DurationError", "format_duration", "parse_duration"]

FORMAT_HINT = "Write a duration like 30 min, 8 h or 3 business days."

_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_HOUR = timedelta(hours=1)

# Unit words, singular and plural, in English (the admin's language); "d"/"days" alone mean
# business days too, because no other kind of day exists in a business duration.
_UNITS: dict[str, str] = {
    **dict.fromkeys(("business day", "business days", "d", "day", "days", "bd"), "day"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "hour"),
    **dict.fromkeys(("min", "mins", "minute", "minutes", "m"), "minute"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "second"),
}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(business\s+days?|[a-z]+)", re.IGNORECASE)
_JOINERS = re.compile(r"^(?:\s|,|and\b)*$", re.IGNORECASE)


class DurationError(ValueError):
    """A text that is not a duration; its message says what was wrong and how to write one."""


def parse_duration(text: str, business_day: timedelta) -> timedelta:
    """The business time `text` names, e.g. "1 business day 4 h" → 12 h when a day is 8 h.

    Parts are a number and a unit, in any order and case, optionally joined by commas or "and";
    a decimal ("1.5 h", "0,5 business days") is allowed when it makes whole seconds. Raises
    DurationError for anything else, an empty text included."""
    if business_day <= timedelta(0):
        raise ValueError("a business day must be longer than zero")
    words = text.strip()
    if not words:
        raise DurationError(f"No duration given. {FORMAT_HINT}")
    total, position = timedelta(0), 0
    for match in _PART.finditer(words):
        if not _JOINERS.match(words[position : match.start()]):
            break
        total += _amount(match.group(1), match.group(2), business_day)
        position = match.end()
    if position == 0 or not _JOINERS.match(words[position:]):
        raise DurationError(f"{text.strip()!r} is not a duration. {FORMAT_HINT}")
    return total


def _amount(number: str, unit: str, business_day: timedelta) -> timedelta:
    kind = _UNITS.get(" ".join(unit.lower().split()))
    if kind is None:
        raise DurationError(f"{unit!r} is not a unit of time. {FORMAT_HINT}")
    size = {"day": business_day, "hour": _HOUR, "minute": _MINUTE, "second": _SECOND}[kind]
    try:
        amount = size * float(number.replace(",", "."))
    except OverflowError:
        raise DurationError(f"{number} {unit} is longer than any clock. {FORMAT_HINT}") from None
    if amount % _SECOND:
        raise DurationError(f"{number} {unit} is not a whole number of seconds. {FORMAT_HINT}")
    return amount


def format_duration(duration: timedelta, business_day: timedelta) -> str:
    """`duration` in business words: "3 business days", "1 business day 4 h", "45 min", "0 min".

    Raises ValueError for a negative duration or one with a fraction of a second: no clock of
    the protocol has either."""
    if duration < timedelta(0) or duration % _SECOND:
        raise ValueError(f"not a business duration: {duration!r}")
    if duration == timedelta(0):
        return "0 min"
    days, rest = divmod(duration, business_day)
    hours, rest = divmod(rest, _HOUR)
    minutes, rest = divmod(rest, _MINUTE)
    seconds = rest // _SECOND
    parts = [f"{days} business day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (seconds, "s")) if n]
    return " ".join(parts)
