"""The rollup's rows per ticket and per agent (FactRow, AgentRow): written when a ticket is
judged (deskside/reports/rollup.py), read by the lead's page as sums the database groups, so
that a month of tens of thousands of tickets is a few hundred grouped rows, never its tickets,
events and replies read and counted in Python (docs/reports.md, How the figures are kept).

Each figure here equals the one counted from the tickets (figures.report; tests/reports): the
tickets behind it are read from there, and only when a lead follows its link (rows.Counted).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When

from deskside.reports.agents import AgentFigures, names_of
from deskside.reports.clocks import CLOCKS, Judged, Outcome
from deskside.reports.load import DayLoad
from deskside.reports.models import AgentRow, ClockRow, FactRow
from deskside.reports.period import Period
from deskside.reports.protocol import (
    COOPERATION_CLOSES,
    REFUSED,
    Refusals,
    Tally,
    came_back,
    refused_for,
)
from deskside.reports.rows import DOORS, Counted, Filters, Mark, TicketRow
from deskside.tickets.models import CloseReason, EventKind, Status

CLOCK_COLUMNS = tuple(f"{clock}_{outcome}" for clock in CLOCKS for outcome in Outcome)
FACT_COLUMNS = (
    "ticket_id",
    "received_at",
    "day",
    "organisation_id",
    "level",
    "claimed",
    "door",
    "closed",
    "assignee_id",
    "refused",
    "came_back",
    "reminders",
    "refusals",
    *CLOCK_COLUMNS,
)
AGENT_COLUMNS = ("ticket_id", "agent_id", "replies", "received_at", "organisation_id", "level")

Row = tuple[Any, ...]
_EVENT_SUMS = ("reminders", "refusals", "reminders_tickets", "refusals_tickets")
# The tickets behind a figure (its part of the report, its key, how many), read when asked.
Behind = Callable[[str, str, int], Counted]


# -- written by the judge --------------------------------------------------------------------


def rows_of(
    ticket: TicketRow,
    organisation: int | None,
    tz: tzinfo,
    marks: list[Mark],
    sent: dict[int, int],
    judged: list[Judged],
    at: Callable[[datetime], object],
    day: Callable[[date], object],
) -> tuple[Row, list[Row]]:
    """The ticket's FactRow and AgentRows (FACT_COLUMNS, AGENT_COLUMNS), as the database takes
    them (`at`, `day`: rollup._adapters): from the events and replies its clocks were judged
    from, and those clocks (`judged`, as after every event)."""
    outcomes = Counter(f"{j.clock}_{j.outcome}" for j in judged)
    refused = refused_for(ticket, marks) if ticket.door == "mail" else None
    kinds = Counter(kind for kind, _data in marks)
    received = at(ticket.received_at)
    fact = (
        ticket.pk,
        received,
        day(ticket.received_at.astimezone(tz).date()),
        organisation,
        ticket.level,
        ticket.claimed,
        ticket.door,
        ticket.close_reason if ticket.status == Status.CLOSED else "",
        ticket.assignee,
        refused or "",
        refused is not None and came_back(marks),
        kinds[EventKind.REMINDER],
        kinds[EventKind.REFUSED],
        *(outcomes[column] for column in CLOCK_COLUMNS),
    )
    handled = dict(sent)
    if ticket.assignee is not None:
        handled.setdefault(ticket.assignee, 0)
    agents = [
        (ticket.pk, agent, replies, received, organisation, ticket.level)
        for agent, replies in sorted(handled.items())
    ]
    return fact, agents


# -- read by the lead's page -----------------------------------------------------------------


def _within[M: FactRow | AgentRow | ClockRow](
    rows: QuerySet[M], period: Period, filters: Filters, tz: ZoneInfo
) -> QuerySet[M]:
    """The rows of the tickets received in the period, of the organisation filtered (the level
    filter is the caller's: the refusals are about tickets without a level)."""
    start, end = period.bounds(tz)
    rows = rows.filter(received_at__gte=start, received_at__lt=end)
    if filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation)
    return rows.order_by()


def _leveled[M: FactRow | AgentRow | ClockRow](rows: QuerySet[M], filters: Filters) -> QuerySet[M]:
    return rows if filters.level is None else rows.filter(level=filters.level)


@dataclass(frozen=True)
class Counts:
    """The figures about the tickets received that are counts of tickets and their events."""

    load: list[DayLoad]
    matrix: dict[tuple[int, int], int]
    closes: list[tuple[str, int]]
    refusals: Refusals
    cooperation: dict[str, Tally]


def counts(period: Period, filters: Filters, tz: ZoneInfo, behind: Behind) -> Counts:
    """The load, the matrix, the closes, the refusals and the cooperation, from the facts (one
    query: each grouping apart took longer than one of them all)."""
    tickets_with = {
        f"{key}_tickets": Sum(Case(When(Q(**{f"{key}__gt": 0}), then=Value(1)), default=Value(0)))
        for key in ("reminders", "refusals")
    }
    rows = (
        _within(FactRow.objects.all(), period, filters, tz)
        .values("day", "level", "claimed", "door", "closed", "refused", "came_back")
        .annotate(
            n=Count("pk"), reminders_n=Sum("reminders"), refusals_n=Sum("refusals"), **tickets_with
        )
        .values_list(
            "day",
            "level",
            "claimed",
            "door",
            "closed",
            "refused",
            "came_back",
            "n",
            "reminders_n",
            "refusals_n",
            "reminders_tickets",
            "refusals_tickets",
        )
    )
    matrix: Counter[tuple[int, int]] = Counter()
    closes: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    events: Counter[str] = Counter()
    levels_by_day: Counter[tuple[date, int | None]] = Counter()
    doors: Counter[tuple[date, str]] = Counter()
    for day, level, claimed, door, closed, why, back, n, *sums in rows:
        if door == "mail":
            refused["new_mail"] += n
            if why:
                refused[f"closed:{why}"] += n
                if back:
                    refused[f"back:{why}"] += n
        if filters.level is not None and level != filters.level:
            continue
        levels_by_day[(day, level)] += n
        doors[(day, door)] += n
        if claimed is not None and level is not None:
            matrix[(claimed, level)] += n
        if closed:
            closes[closed] += n
        for key, value in zip(_EVENT_SUMS, sums, strict=True):
            events[key] += value or 0
    levels = (1, 2, 3, 4)
    cooperation = {
        key: Tally(events[key], behind("cooperation", key, events[f"{key}_tickets"]))
        for key in ("reminders", "refusals")
    }
    for reason in COOPERATION_CLOSES:
        cooperation[reason] = Tally(closes[reason], behind("cooperation", reason, closes[reason]))
    return Counts(
        load=[
            DayLoad(
                day,
                {level: levels_by_day[(day, level)] for level in (*levels, None)},
                {door: doors[(day, door)] for door in DOORS},
            )
            for day in period.days()
        ],
        matrix={(c, a): matrix[(c, a)] for c in levels for a in levels},
        closes=[(reason, closes[reason]) for reason in CloseReason.values],
        refusals=Refusals(
            refused["new_mail"],
            {k: refused[f"closed:{k}"] for k in REFUSED},
            {k: refused[f"back:{k}"] for k in REFUSED},
            {key: behind("refusal", key, n) for key, n in refused.items()},
        ),
        cooperation=cooperation,
    )


@dataclass(frozen=True)
class ClockCounts:
    """The clocks kept per level and clock (figures.ClockFigures, in figures.clock_order's
    order), and per agent the clocks met and breached of the tickets assigned to them now."""

    figures: list[tuple[int, str, dict[str, int]]]  # level, clock, outcome → clocks
    met: dict[int, int]
    breached: dict[int, int]


def clock_counts(period: Period, filters: Filters, now: datetime, tz: ZoneInfo) -> ClockCounts:
    """From the facts (one query), and the clocks not due yet read apart (one query, by the
    index on the due times of the clocks not met: the open tickets', a few): the facts count
    each clock as it ends once due (rollup.py), a report at `now` counts those pending."""
    rows = _leveled(_within(FactRow.objects.all(), period, filters, tz), filters)
    sums = {column: Sum(column) for column in CLOCK_COLUMNS}
    counted: Counter[tuple[int, str, str]] = Counter()
    agents: Counter[tuple[int, str]] = Counter()
    grouped = rows.values("level", "assignee_id").annotate(**sums)
    for level, assignee, *found in grouped.values_list("level", "assignee_id", *sums):
        if level is None:
            continue  # no level, no clock
        for column, n in zip(CLOCK_COLUMNS, found, strict=True):
            clock, outcome = column.rsplit("_", 1)
            counted[(level, clock, outcome)] += n or 0
            if assignee is not None:
                agents[(assignee, outcome)] += n or 0
    due_later = _leveled(
        _within(ClockRow.objects.filter(done_at__isnull=True, due__gt=now), period, filters, tz),
        filters,
    )
    group = ("level", "clock", "outcome", "assignee_id")
    for level, clock, outcome, assignee, n in (
        due_later.values(*group).annotate(n=Count("pk")).values_list(*group, "n")
    ):
        for key, step in ((outcome, -n), (Outcome.PENDING.value, n)):
            counted[(level, clock, key)] += step
            if assignee is not None:
                agents[(assignee, key)] += step
    totals: defaultdict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for (level, clock, outcome), n in counted.items():
        totals[(level, clock)][outcome] = n
    order = {clock: i for i, clock in enumerate(CLOCKS)}
    return ClockCounts(
        [
            (level, clock, found)
            for (level, clock), found in sorted(
                totals.items(), key=lambda i: (i[0][0], order[i[0][1]])
            )
            if any(found.values())
        ],
        {agent: n for (agent, state), n in agents.items() if state == Outcome.MET and n},
        {agent: n for (agent, state), n in agents.items() if state == Outcome.BREACHED and n},
    )


def agents(
    period: Period,
    filters: Filters,
    tz: ZoneInfo,
    met: dict[int, int],
    breached: dict[int, int],
    behind: Behind,
) -> list[AgentFigures]:
    """agents.per_agent, from the agents' rows (one query, and one for their names)."""
    rows = _leveled(_within(AgentRow.objects.all(), period, filters, tz), filters)
    found = {
        agent: (n, replies or 0)
        for agent, n, replies in rows.values("agent_id")
        .annotate(n=Count("pk"), replies=Sum("replies"))
        .values_list("agent_id", "n", "replies")
    }
    names = names_of(found)
    return [
        AgentFigures(
            agent,
            names[agent],
            behind("agent", str(agent), n),
            replies,
            met.get(agent, 0),
            breached.get(agent, 0),
        )
        for agent, (n, replies) in sorted(
            found.items(), key=lambda a: (names[a[0]].casefold(), a[0])
        )
    ]
