"""The tickets behind each figure of a report, by a key the page puts in each figure's link
(/desk/reports/tickets/?<the report's query>&figure=<key>): the drill-down list reads the same
report and shows the tickets the key names. A key is its parts joined by ":"."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from datetime import date

from deskside.reports.figures import Report
from deskside.reports.load import LEVEL_KEYS, open_on

Finder = Callable[[Report, list[str]], AbstractSet[int] | None]


def key(*parts: object) -> str:
    return ":".join("none" if p is None else str(p) for p in parts)


def tickets_behind(report: Report, figure: str) -> AbstractSet[int] | None:
    """The tickets behind `figure`, or None when the key names no figure of the report."""
    kind, *rest = figure.split(":")
    finder = FINDERS.get(kind)
    if finder is None:
        return None
    try:
        return finder(report, rest)
    except (KeyError, ValueError, IndexError, StopIteration):
        return None


def _level(text: str) -> int | None:
    return None if text == "none" else int(text)


def _received(r: Report, rest: list[str]) -> frozenset[int]:
    return frozenset(t.pk for t in r.tickets)


def _clock(r: Report, rest: list[str]) -> frozenset[int]:
    level, clock, outcome = int(rest[0]), rest[1], rest[2]
    return r.clocks_behind(level, clock, outcome)


def _breached(r: Report, rest: list[str]) -> frozenset[int]:
    return frozenset(b.ticket for b in r.breaches)


def _refusal(r: Report, rest: list[str]) -> AbstractSet[int]:
    return r.refusals.behind.get(":".join(rest), frozenset())


def _matrix(r: Report, rest: list[str]) -> frozenset[int]:
    claimed, assessed = int(rest[0]), int(rest[1])
    return frozenset(t.pk for t in r.tickets if (t.claimed, t.level) == (claimed, assessed))


def _close(r: Report, rest: list[str]) -> frozenset[int]:
    return frozenset(t.pk for t in r.tickets if t.status == "closed" and t.close_reason == rest[0])


def _day(r: Report, rest: list[str]) -> frozenset[int]:
    day = date.fromisoformat(rest[0])
    return frozenset(t.pk for t in r.tickets if t.received_at.astimezone(r.tz).date() == day)


def _door(r: Report, rest: list[str]) -> frozenset[int]:
    return frozenset(t.pk for t in r.tickets if t.door == rest[0])


def _backlog(r: Report, rest: list[str]) -> frozenset[int]:
    day = date.fromisoformat(rest[0])
    found = next(d for d in r.backlog if d.day == day)
    levels = LEVEL_KEYS if len(rest) == 1 else (_level(rest[1]),)
    return open_on(r.open_spans(), found.at, levels)


def _agent(r: Report, rest: list[str]) -> AbstractSet[int]:
    return next(a.handled for a in r.agents if a.agent == int(rest[0]))


def _protocol(part: str) -> Finder:
    def find(r: Report, rest: list[str]) -> frozenset[int]:
        tallies = getattr(r.protocol, part)
        return frozenset(tallies[rest[0]].tickets)

    return find


FINDERS: dict[str, Finder] = {
    "received": _received,
    "clock": _clock,
    "breached": _breached,
    "refusal": _refusal,
    "matrix": _matrix,
    "close": _close,
    "day": _day,
    "door": _door,
    "backlog": _backlog,
    "agent": _agent,
    "cooperation": _protocol("cooperation"),
    "visits": _protocol("visits"),
    "documentation": _protocol("documentation"),
}
