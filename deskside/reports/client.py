"""The client's report of a month (the portal's page and the monthly mail): an organisation's
tickets by level and, per level and clock, what the protocol promised and what was delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets, short_duration
from deskside.reports import figures, rollup
from deskside.reports.figures import LEVELS, ClockFigures, Filters, Report
from deskside.reports.period import Period
from deskside.reports.rows import TicketRow
from deskside.tickets.models import Ticket

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


@dataclass(frozen=True)
class Month:
    """What the client's report shows of a month: read from the rollup, a handful of queries
    whatever the number of tickets."""

    received: int
    by_level: list[tuple[int | None, int]]
    clocks: list[ClockFigures]
    oldest: list[TicketRow]  # open now, the longest waiting first


def month(
    period: Period, organisation: int, now: datetime, cal: Calendar, targets: dict[int, Targets]
) -> Month:
    only = Filters(organisation=organisation)
    if not rollup.ready(cal, targets):  # judged under another policy: from the events
        report = figures.report(period, only, now, cal, targets)
        return Month(report.received, by_level(report), report.clocks, report.oldest)
    start, end = period.bounds(cal.tz)
    cohort = Ticket.objects.filter(
        organisation_id=organisation, received_at__gte=start, received_at__lt=end
    )
    counted: dict[int | None, int] = dict.fromkeys((*LEVELS, None), 0)
    for level, n in cohort.order_by().values_list("severity").annotate(n=Count("pk")):
        counted[level] = n
    return Month(
        sum(counted.values()),
        list(counted.items()),
        rollup.clock_figures(period, only, now, cal),
        figures.oldest(only, now),
    )


def by_level(report: Report) -> list[tuple[int | None, int]]:
    """The tickets received by level, from the days' counts (not the tickets: the lead's
    report reads them only for a drill-down)."""
    levels = (*LEVELS, None)
    return [(level, sum(day.by_level[level] for day in report.load)) for level in levels]


def promises(clocks: list[ClockFigures], targets: dict[int, Targets]) -> list[Promise]:
    """Per level and clock; the names in the language active when called."""
    found = []
    for c in clocks:
        target = getattr(targets[c.level], c.clock)
        promised = short_duration(target) if target is not None else ""
        name = str(CLOCK_NAMES[c.clock])
        found.append(Promise(c.level, c.clock, name, promised, c, _percent(c.share)))
    return found


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)
