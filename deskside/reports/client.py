"""The client's report of a month (the portal's page and the monthly mail): an organisation's
tickets by level and, per level and clock, what the protocol promised and what was delivered."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from deskside.core.clocks import Targets, short_duration
from deskside.reports.figures import LEVELS, ClockFigures, Report

CLOCK_NAMES = {
    "first_response": _("First response"),
    "next_update": _("Next update"),
    "goal": _("Goal"),
    "documentation": _("Documentation"),
}


@dataclass(frozen=True)
class Promise:
    level: int
    clock: str
    name: str
    promised: str  # the business time the protocol gives
    figures: ClockFigures
    percent: float | None


def by_level(report: Report) -> list[tuple[int | None, int]]:
    counted: dict[int | None, int] = {level: 0 for level in (*LEVELS, None)}
    for ticket in report.tickets:
        counted[ticket.level] += 1
    return list(counted.items())


def promises(report: Report, targets: dict[int, Targets]) -> list[Promise]:
    """Per level and clock; the names in the language active when called."""
    found = []
    for c in report.clocks:
        target = getattr(targets[c.level], c.clock)
        promised = short_duration(target) if target is not None else ""
        name = str(CLOCK_NAMES[c.clock])
        found.append(Promise(c.level, c.clock, name, promised, c, _percent(c.share)))
    return found


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)
