"""Opening hours and the next opening in words, in English, Dutch, French and German.

Pure Python: the auto-replies call this without Django, and the weekday and month names live in
tables here so the text never depends on the server's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from deskside.core.business_time import Calendar, OpeningPeriod

__all__ = ["LANGUAGES", "describe_hours_and_next_opening"]


@dataclass(frozen=True)
class _Words:
    weekdays: tuple[str, ...]  # Monday first
    months: tuple[str, ...]
    day_range: str  # {first}, {last}
    day_pair: str
    day_single: str
    period: str  # {opens}, {closes}
    period_and: str  # joins the periods of one day
    group_sep: str  # joins groups of days with different hours
    zone: str  # {city}
    hours: str  # {days}, {zone}
    next_opening: str  # {date}, {time}
    date: str  # {weekday}, {day}, {month}, {year}
    open_now: str
    cities: dict[str, str]
    first_of_month: str = "1"


_EN = _Words(
    weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    months=("January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December"),
    day_range="{first} to {last}",
    day_pair="{first} and {last}",
    day_single="{first}",
    period="{opens}–{closes}",
    period_and=" and ",
    group_sep="; ",
    zone="{city} time",
    hours="We read mail {days} {zone}.",
    next_opening="Your mail will be read on {date} at {time}.",
    date="{weekday} {day} {month}{year}",
    open_now="We are reading mail now.",
    cities={},
)  # fmt: skip

_NL = _Words(
    weekdays=("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    months=("januari", "februari", "maart", "april", "mei", "juni", "juli",
            "augustus", "september", "oktober", "november", "december"),
    day_range="van {first} tot en met {last}",
    day_pair="op {first} en {last}",
    day_single="op {first}",
    period="van {opens} tot {closes}",
    period_and=" en ",
    group_sep="; ",
    zone="({city} tijd)",
    hours="Wij lezen de mail {days} {zone}.",
    next_opening="Uw mail wordt gelezen op {date} om {time}.",
    date="{weekday} {day} {month}{year}",
    open_now="Wij lezen de mail op dit moment.",
    cities={"Brussels": "Brusselse"},
)  # fmt: skip

_FR = _Words(
    weekdays=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet",
            "août", "septembre", "octobre", "novembre", "décembre"),
    day_range="du {first} au {last}",
    day_pair="le {first} et le {last}",
    day_single="le {first}",
    period="de {opens} à {closes}",
    period_and=" et ",
    group_sep=" ; ",
    zone="(heure de {city})",
    hours="Nous lisons le courrier {days} {zone}.",
    next_opening="Votre message sera lu le {date} à {time}.",
    date="{weekday} {day} {month}{year}",
    open_now="Nous lisons le courrier en ce moment.",
    cities={"Brussels": "Bruxelles"},
    first_of_month="1er",
)  # fmt: skip

_DE = _Words(
    weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
            "August", "September", "Oktober", "November", "Dezember"),
    day_range="von {first} bis {last}",
    day_pair="am {first} und {last}",
    day_single="am {first}",
    period="von {opens} bis {closes} Uhr",
    period_and=" und ",
    group_sep="; ",
    zone="({city} Zeit)",
    hours="Wir lesen E-Mails {days} {zone}.",
    next_opening="Ihre E-Mail wird am {date} um {time} Uhr gelesen.",
    date="{weekday}, {day}. {month}{year}",
    open_now="Wir lesen gerade E-Mails.",
    cities={"Brussels": "Brüsseler"},
)  # fmt: skip

_LANGUAGES = {"en": _EN, "nl": _NL, "fr": _FR, "de": _DE}
LANGUAGES = tuple(_LANGUAGES)


def describe_hours_and_next_opening(calendar: Calendar, t: datetime, language: str) -> str:
    """Two sentences: when mail is read, and when a mail received at `t` will be read.

    Unknown languages fall back to English; regional tags like "fr-BE" use their language.
    """
    words = _LANGUAGES.get(language.lower()[:2], _EN)
    return f"{_hours_sentence(calendar, words)} {_next_sentence(calendar, t, words)}"


def _hours_sentence(calendar: Calendar, words: _Words) -> str:
    groups = [
        f"{_days_words(first, last, words)}, {_periods_words(periods, words)}"
        for first, last, periods in _day_groups(calendar)
    ]
    city = calendar.tz.key.rsplit("/", 1)[-1].replace("_", " ")
    zone = words.zone.format(city=words.cities.get(city, city))
    return words.hours.format(days=words.group_sep.join(groups), zone=zone)


def _next_sentence(calendar: Calendar, t: datetime, words: _Words) -> str:
    if calendar.is_open(t):
        return words.open_now
    opening = calendar.next_opening(t)
    this_year = t.astimezone(calendar.tz).year
    year = "" if opening.year == this_year else f" {opening.year}"
    day = words.date.format(
        weekday=words.weekdays[opening.weekday()],
        day=words.first_of_month if opening.day == 1 else opening.day,
        month=words.months[opening.month - 1],
        year=year,
    )
    return words.next_opening.format(date=day, time=f"{opening:%H:%M}")


def _day_groups(calendar: Calendar) -> list[tuple[int, int, tuple[OpeningPeriod, ...]]]:
    """Runs of consecutive open weekdays with the same hours, as (first, last, periods)."""
    groups: list[tuple[int, int, tuple[OpeningPeriod, ...]]] = []
    for weekday, periods in enumerate(calendar.weekly):
        if not periods:
            continue
        if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == periods:
            groups[-1] = (groups[-1][0], weekday, periods)
        else:
            groups.append((weekday, weekday, periods))
    return groups


def _days_words(first: int, last: int, words: _Words) -> str:
    names = {"first": words.weekdays[first], "last": words.weekdays[last]}
    if first == last:
        return words.day_single.format(**names)
    if last == first + 1:
        return words.day_pair.format(**names)
    return words.day_range.format(**names)


def _periods_words(periods: tuple[OpeningPeriod, ...], words: _Words) -> str:
    return words.period_and.join(
        words.period.format(opens=_hh_mm(opens), closes=_hh_mm(closes, closing=True))
        for opens, closes in periods
    )


def _hh_mm(wall: time, closing: bool = False) -> str:
    if closing and wall == time(0):
        return "24:00"  # a period that runs to midnight
    return f"{wall:%H:%M}"
