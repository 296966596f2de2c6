"""The rollup's rows per ticket and per agent (FactRow, AgentRow) and its sums per day
(DayFigure): written when a ticket is judged (deskside/reports/rollup.py), read by the lead's
page, so that a month of tens of thousands of tickets is a few hundred sums, never its tickets,
events and replies read and counted in Python (docs/reports.md, How the figures are kept).

Every figure is a sum of *tallies*, (day, level, key) → n: a ticket's own (`tallies_of`), or a
group of tickets' that the database counted. For every organisation the page reads the sums per
day, kept by adding a ticket's tallies and taking its former ones away when it is judged again;
for one organisation, the database groups that organisation's rows (a few thousand).

Each figure equals the one counted from the tickets (figures.report; tests/reports): the
tickets behind it are read from there, and only when a lead follows its link (rows.Counted).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, DateField, F, Q, QuerySet, Sum, Value, When

from deskside import db
from deskside.reports.agents import AgentFigures, names_of
from deskside.reports.clocks import CLOCKS, Judged, Outcome
from deskside.reports.load import DayLoad
from deskside.reports.models import AgentRow, ClockRow, DayFigure, FactRow
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
LEVELS = (1, 2, 3, 4)
NO_LEVEL = 0  # DayFigure.level of the tickets without one

Row = tuple[Any, ...]
# (day, level, key) → n; the day is None in sums grouped without it (only the load is by day).
# The keys: "door:<door>" (tickets received), "claimed:<level>" (with a claimed and an assessed
# level), "closed:<reason>", "mail" (new mail), "refused:<why>" and "back:<why>" (closed for
# want of a level; came back with one), "reminders" and "refusals" (events), "reminded" and
# "refused_steps" (tickets with any), "<clock>_<outcome>" (clocks as judged after every event),
# "agent:<id>:<outcome>" (the clocks of the tickets assigned to an agent), "handled:<id>" and
# "replies:<id>".
Tallies = Counter[tuple[date | None, int | None, str]]
# The tickets behind a figure (its part of the report, its key, how many), read when asked.
Behind = Callable[[str, str, int], Counted]

_EVENT_KEYS = ("reminders", "refusals", "reminded", "refused_steps")
_CLOCK_KEYS = frozenset(CLOCK_COLUMNS)
_FACT = {column: i for i, column in enumerate(FACT_COLUMNS)}


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
) -> tuple[Row, list[Row], Tallies]:
    """The ticket's FactRow and AgentRows (FACT_COLUMNS, AGENT_COLUMNS) as the database takes
    them (`at`, `day`: rollup._adapters), and its tallies: from the events and replies its
    clocks were judged from, and those clocks (`judged`, as after every event)."""
    outcomes = Counter(f"{j.clock}_{j.outcome}" for j in judged)
    refused = refused_for(ticket, marks) if ticket.door == "mail" else None
    kinds = Counter(kind for kind, _data in marks)
    received = ticket.received_at.astimezone(tz).date()
    fact = (
        ticket.pk,
        ticket.received_at,
        received,
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
        (ticket.pk, agent, replies, ticket.received_at, organisation, ticket.level)
        for agent, replies in sorted(handled.items())
    ]
    return (
        (ticket.pk, at(ticket.received_at), day(received), *fact[3:]),
        [(pk, agent, n, at(received), *rest) for pk, agent, n, received, *rest in agents],
        tallies_of(fact, agents),
    )


def tallies_of(fact: Row, agents: list[Row], sign: int = 1) -> Tallies:
    """A ticket's tallies, from its FactRow and AgentRows (FACT_COLUMNS, AGENT_COLUMNS) as
    Python values; `sign` -1: to take them away."""
    found: Tallies = Counter()
    f = {column: fact[i] for column, i in _FACT.items()}
    day, level, reminders, refusals = f["day"], f["level"], f["reminders"], f["refusals"]
    group = (day, level, f["claimed"], f["door"], f["closed"], f["refused"], f["came_back"])
    events = (reminders, refusals, int(reminders > 0), int(refusals > 0))
    _add_tickets(found, group, (sign, *(sign * n for n in events)))
    _add_clocks(found, day, level, f["assignee_id"], [sign * f[c] for c in CLOCK_COLUMNS])
    for _ticket, agent, replies, *_rest in agents:
        _add_agent(found, day, level, agent, sign, sign * replies)
    return found


def _add_tickets(found: Tallies, group: Row, sums: Row) -> None:
    """Tickets of one (day, level, claimed, door, closed, refused, came back): `sums` their
    number, their reminders and refused steps, and how many had any of each."""
    day, level, claimed, door, closed, refused, back = group
    n, *events = sums
    found[(day, level, f"door:{door}")] += n
    if claimed is not None and level is not None:
        found[(day, level, f"claimed:{claimed}")] += n
    if closed:
        found[(day, level, f"closed:{closed}")] += n
    if door == "mail":
        found[(day, level, "mail")] += n
        if refused:
            found[(day, level, f"refused:{refused}")] += n
            if back:
                found[(day, level, f"back:{refused}")] += n
    for key, value in zip(_EVENT_KEYS, events, strict=True):
        found[(day, level, key)] += value


def _add_clocks(
    found: Tallies, day: date | None, level: int | None, assignee: int | None, clocks: list[int]
) -> None:
    """Clocks (CLOCK_COLUMNS' counts) of tickets at `level` assigned to `assignee`."""
    for column, n in zip(CLOCK_COLUMNS, clocks, strict=True):
        if n:
            found[(day, level, column)] += n
            if assignee is not None:
                outcome = column.rsplit("_", 1)[1]
                found[(day, level, f"agent:{assignee}:{outcome}")] += n


def _add_agent(
    found: Tallies, day: date | None, level: int | None, agent: int, n: int, replies: int
) -> None:
    found[(day, level, f"handled:{agent}")] += n
    found[(day, level, f"replies:{agent}")] += replies


def former(ids: list[int]) -> Tallies:
    """The tallies of these tickets' rows as the rollup holds them, to be taken away (two
    queries)."""
    agents: defaultdict[int, list[Row]] = defaultdict(list)
    for row in AgentRow.objects.filter(ticket_id__in=ids).order_by().values_list(*AGENT_COLUMNS):
        agents[row[0]].append(row)
    found: Tallies = Counter()
    for fact in FactRow.objects.filter(ticket_id__in=ids).order_by().values_list(*FACT_COLUMNS):
        found.update(tallies_of(fact, agents[fact[0]], sign=-1))
    return found


def write(found: Tallies) -> None:
    """Add tallies to the days' sums (one statement)."""
    rows = (
        (day, NO_LEVEL if level is None else level, key, n)
        for (day, level, key), n in found.items()
        if n and day is not None
    )
    db.add_up(DayFigure, ("day", "level", "figure", "n"), rows)


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


def summed(period: Period, filters: Filters, tz: ZoneInfo) -> Tallies:
    """The tallies of the tickets received in the period: for every organisation, the days'
    sums (one query); for one, its rows grouped by the database (three queries)."""
    if filters.organisation is None:
        return _days(period)
    found: Tallies = Counter()
    facts = _within(FactRow.objects.all(), period, filters, tz)
    group = ("day", "level", "claimed", "door", "closed", "refused", "came_back")
    sums: dict[str, Any] = {
        "n": Count("pk"),
        "reminders_n": Sum("reminders"),
        "refusals_n": Sum("refusals"),
        **{
            f"{key}_any": Sum(Case(When(Q(**{f"{key}__gt": 0}), then=Value(1)), default=Value(0)))
            for key in ("reminders", "refusals")
        },
    }
    for row in facts.values(*group).annotate(**sums).values_list(*group, *sums):
        _add_tickets(found, row[: len(group)], tuple(v or 0 for v in row[len(group) :]))
    clocks = {column: Sum(column) for column in CLOCK_COLUMNS}
    by_assignee = facts.values("level", "assignee_id").annotate(**clocks)
    for level, assignee, *n in by_assignee.values_list("level", "assignee_id", *clocks):
        _add_clocks(found, None, level, assignee, [v or 0 for v in n])
    agents = _within(AgentRow.objects.all(), period, filters, tz).values("level", "agent_id")
    for level, agent, n, replies in agents.annotate(
        n=Count("pk"), replies=Sum("replies")
    ).values_list("level", "agent_id", "n", "replies"):
        _add_agent(found, None, level, agent, n, replies or 0)
    return found


def _days(period: Period) -> Tallies:
    """The days' sums of the period: the load by day, every other key over the period."""
    rows = DayFigure.objects.filter(day__gte=period.first, day__lte=period.last).order_by()
    by_day = Case(
        When(figure__startswith="door:", then=F("day")),
        default=Value(None),
        output_field=DateField(),
    )
    grouped = rows.annotate(at=by_day).values("at", "level", "figure").annotate(total=Sum("n"))
    found: Tallies = Counter()
    for day, level, key, n in grouped.values_list("at", "level", "figure", "total"):
        found[(day, None if level == NO_LEVEL else level, key)] += n
    return found


def _wanted(level: int | None, filters: Filters) -> bool:
    return filters.level is None or level == filters.level


@dataclass(frozen=True)
class Counts:
    """The figures about the tickets received that are counts of tickets and their events."""

    load: list[DayLoad]
    matrix: dict[tuple[int, int], int]
    closes: list[tuple[str, int]]
    refusals: Refusals
    cooperation: dict[str, Tally]


def counts(found: Tallies, period: Period, filters: Filters, behind: Behind) -> Counts:
    """The load, the matrix, the closes, the refusals (of every level: the tickets refused had
    none) and the cooperation."""
    load: Counter[tuple[date, int | None, str]] = Counter()
    totals: Counter[tuple[int | None, str]] = Counter()
    refused: Counter[str] = Counter()
    for (day, level, key), n in found.items():
        if key == "mail":
            refused["new_mail"] += n
        elif key.startswith(("refused:", "back:")):
            refused[key.replace("refused:", "closed:")] += n
        if not _wanted(level, filters):
            continue
        if day is not None and key.startswith("door:"):
            load[(day, level, key.removeprefix("door:"))] += n
        totals[(level, key)] += n
    by_key: Counter[str] = Counter()
    for (_level, key), n in totals.items():
        by_key[key] += n
    cooperation = {
        key: Tally(by_key[key], behind("cooperation", key, by_key[tickets]))
        for key, tickets in (("reminders", "reminded"), ("refusals", "refused_steps"))
    }
    for reason in COOPERATION_CLOSES:
        closed = by_key[f"closed:{reason}"]
        cooperation[reason] = Tally(closed, behind("cooperation", reason, closed))
    every = (*LEVELS, None)
    return Counts(
        load=[
            DayLoad(
                day,
                {level: sum(load[(day, level, door)] for door in DOORS) for level in every},
                {door: sum(load[(day, level, door)] for level in every) for door in DOORS},
            )
            for day in period.days()
        ],
        matrix={(c, a): totals[(a, f"claimed:{c}")] for c in LEVELS for a in LEVELS},
        closes=[(reason, by_key[f"closed:{reason}"]) for reason in CloseReason.values],
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
    """The clocks kept per level and clock (in figures.clock_order's order), and per agent the
    clocks met and breached of the tickets assigned to them now."""

    figures: list[tuple[int, str, dict[str, int]]]  # level, clock, outcome → clocks
    met: dict[int, int]
    breached: dict[int, int]


def clock_counts(
    found: Tallies, period: Period, filters: Filters, now: datetime, tz: ZoneInfo
) -> ClockCounts:
    """From the tallies, which count each clock as it ends once due (rollup.py), and the
    clocks not due yet read apart (one query, from the index of the clocks not met) and
    counted pending, as a report at `now` counts them."""
    counted: Counter[tuple[int, str, str]] = Counter()
    agents: Counter[tuple[int, str]] = Counter()
    for (_day, level, key), n in found.items():
        if level is None or not _wanted(level, filters):
            continue  # no level, no clock
        if key.startswith("agent:"):
            _agent, agent, outcome = key.split(":")
            agents[(int(agent), outcome)] += n
        elif key in _CLOCK_KEYS:
            clock, outcome = key.rsplit("_", 1)
            counted[(level, clock, outcome)] += n
    due_later = ClockRow.objects.filter(done_at__isnull=True, due__gt=now)
    due_later = _within(due_later, period, filters, tz)
    if filters.level is not None:
        due_later = due_later.filter(level=filters.level)
    group = ("level", "clock", "outcome", "assignee_id")
    for level, clock, outcome, assignee, n in (
        due_later.values(*group).annotate(n=Count("pk")).values_list(*group, "n")
    ):
        for state, step in ((outcome, -n), (Outcome.PENDING.value, n)):
            counted[(level, clock, state)] += step
            if assignee is not None:
                agents[(assignee, state)] += step
    totals: defaultdict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for (level, clock, outcome), n in counted.items():
        totals[(level, clock)][outcome] = n
    order = {clock: i for i, clock in enumerate(CLOCKS)}
    return ClockCounts(
        [
            (level, clock, outcomes)
            for (level, clock), outcomes in sorted(
                totals.items(), key=lambda i: (i[0][0], order[i[0][1]])
            )
            if any(outcomes.values())
        ],
        {agent: n for (agent, state), n in agents.items() if state == Outcome.MET and n},
        {agent: n for (agent, state), n in agents.items() if state == Outcome.BREACHED and n},
    )


def agents(
    found: Tallies,
    filters: Filters,
    met: dict[int, int],
    breached: dict[int, int],
    behind: Behind,
) -> list[AgentFigures]:
    """agents.per_agent, from the tallies (and one query for the agents' names)."""
    handled: Counter[int] = Counter()
    replies: Counter[int] = Counter()
    for (_day, level, key), n in found.items():
        if _wanted(level, filters) and key.startswith(("handled:", "replies:")):
            kind, agent = key.split(":")
            (handled if kind == "handled" else replies)[int(agent)] += n
    present = [agent for agent, n in handled.items() if n]
    names = names_of(present)
    return [
        AgentFigures(
            agent,
            names[agent],
            behind("agent", str(agent), handled[agent]),
            replies[agent],
            met.get(agent, 0),
            breached.get(agent, 0),
        )
        for agent in sorted(present, key=lambda a: (names[a].casefold(), a))
    ]
