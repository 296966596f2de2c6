"""The reports' rollup: each ticket judged once, after its last action, into rows (its clocks,
the times it was open, its facts, its agents) and sums per day (facts.py, days.py), so that a
month's figures are sums and grouped counts rather than every ticket's events read and judged
again (docs/reports.md, How the figures are kept).

Kept correct this way:
- every event an action records marks its ticket stale, in the action's transaction
  (deskside/tickets/hooks.py): the mark commits or rolls back with the action;
- a report first judges the stale tickets again from their events (a few queries, whatever
  their number), replaces their rows, moves the sums per day by the difference, and clears the
  marks it read, not those written meanwhile; one judge at a time (RollupState's lock);
- the rows say when they were judged under which calendar and targets (RollupState); under any
  other, a report does not use them (the caller falls back to the events) until
  `deskside backfill_reports` judges every ticket again.

A clock row holds at any later time but in one way: a clock not met whose due time is ahead is
pending until then and `outcome` after (clocks.py: breached, or ended if the ticket closed
first). So the rows are judged as at a time after every event (`LATER`), and a report at `now`
turns the not-yet-due ones back to pending in SQL.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)

from deskside import db
from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets
from deskside.oncommit import will_call
from deskside.reports import days, facts, figures
from deskside.reports.clocks import Judged, Outcome, Span
from deskside.reports.facts import Tallies
from deskside.reports.load import OpenSpans, day_ends, days_of, sweep
from deskside.reports.models import (
    AgentRow,
    BacklogDay,
    ClockRow,
    DayFigure,
    FactRow,
    RollupState,
    SpanRow,
    Stale,
)
from deskside.reports.period import Period
from deskside.reports.rows import Counted, CountedRows, Filters, TicketRow
from deskside.reports.stored import as_stored, duration_of, stored
from deskside.tickets.models import Ticket

LATER = datetime(9000, 1, 1, tzinfo=UTC)  # after every event: see the module's docstring
BATCH = 2_000  # tickets judged per round of reads (SQLite's limit on a query's parameters)


def mark_stale(ticket_id: int) -> None:
    """The hook every recorded event calls (registered in apps.py): a prepared INSERT, once per
    ticket and transaction, as every action of the intake and the API records one or more
    events (a ticket opened and acknowledged: two) and each INSERT is a round trip."""
    alias = router.db_for_write(Stale)
    mark = _Mark(ticket_id, _generation)
    if will_call(mark, using=alias):
        return
    db.insert(Stale(ticket_id=ticket_id))
    if connections[alias].in_atomic_block:
        transaction.on_commit(mark, using=alias)


@dataclass(frozen=True, slots=True)
class _Mark:
    """Says, among the transaction's commit callbacks (deskside/oncommit.py), that the open
    transaction has written the mark of `ticket_id`: Django drops it with a savepoint rolled
    back (the mark written in it is gone, the next event writes it again) and with the
    transaction's end. It does nothing on commit. `generation`: see _clear."""

    ticket_id: int
    generation: int

    def __call__(self) -> None:
        pass


# Changed whenever marks are cleared: a judge in the same transaction (a test's, or a report
# run inside an action) deletes marks this transaction wrote, and _Marks written before say
# nothing any more.
_generation = 0


def fingerprint(cal: Calendar, targets: dict[int, Targets]) -> str:
    """The calendar and targets the clocks are judged with, as a short stable text."""
    parts = [
        cal.tz.key,
        repr(cal.weekly),
        str(cal.holiday_country),
        *(sorted(map(str, cal.closed_dates)) or ["-"]),
        "|",
        *sorted(map(str, cal.public_holidays)),
        "|",
        *sorted(map(str, cal.holiday_years)),
    ]
    for level, t in sorted(targets.items()):
        parts.append(
            f"{level}:{t.first_response}:{t.next_update}:{t.goal}:{t.documentation}:"
            f"{','.join(sorted(t.goal_milestones))}"
        )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def ready(cal: Calendar, targets: dict[int, Targets]) -> bool:
    """Bring the rollup up to date; False when it was judged under another policy (then the
    caller reads the events, as `figures.report` does). Two queries when nothing is marked."""
    return _up_to_date(cal, targets) is not None


def _up_to_date(cal: Calendar, targets: dict[int, Targets]) -> RollupState | None:
    """`ready`, giving the state: whether the spans are kept too (`spans`)."""
    wanted = fingerprint(cal, targets)
    state = RollupState.objects.order_by("pk").first()
    if state is None or state.fingerprint != wanted:
        return None
    if not Stale.objects.exists():
        return state
    with transaction.atomic():
        # One judge at a time (PostgreSQL: this row's lock; SQLite: its IMMEDIATE transactions),
        # else two would each replace a ticket's rows and both sets would stay.
        state = RollupState.objects.select_for_update().order_by("pk").first()
        if state is None or state.fingerprint != wanted:
            return None  # a backfill under another policy committed meanwhile
        marks = list(Stale.objects.order_by().values_list("pk", "ticket_id"))
        judge_again({ticket for _, ticket in marks}, cal, targets)
        _clear([pk for pk, _ in marks])
    return state


def _clear(marks: list[int]) -> None:
    """Only the marks read: one an action commits meanwhile stays for the next judge, whatever
    its number (PostgreSQL numbers a row when it is written, not when it commits)."""
    global _generation
    _generation += 1  # those of this transaction may be among them: see mark_stale
    for pks in _batches(marks):
        Stale.objects.filter(pk__in=pks).delete()


def backfill(cal: Calendar, targets: dict[int, Targets]) -> int:
    """Judge every ticket again under the current policy; returns how many tickets."""
    done = 0
    last = 0
    with transaction.atomic():
        list(RollupState.objects.select_for_update())  # a report's judge waits for the end
        RollupState.objects.all().delete()
        for model, _columns, _part in TABLES:
            model._default_manager.all().delete()
        BacklogDay.objects.all().delete()
        DayFigure.objects.all().delete()
        marks = list(Stale.objects.values_list("pk", flat=True))
        while True:
            ids = list(
                Ticket.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            _write(_judged_rows(ids, cal, targets), cal)
            done += len(ids)
            last = ids[-1]
        _clear(marks)
        RollupState.objects.create(fingerprint=fingerprint(cal, targets), spans=True, facts=True)
    return done


def judge_again(ticket_ids: Iterable[int], cal: Calendar, targets: dict[int, Targets]) -> None:
    for ids in _batches(sorted(ticket_ids)):
        _write(_judged_rows(ids, cal, targets), cal, replace=ids)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


Row = tuple[Any, ...]  # a row of a table of the rollup, adapted to the database


@dataclass
class Batch:
    """The rollup's rows of a batch of tickets: their clocks, open spans, facts and agents."""

    clocks: list[Row] = field(default_factory=list)
    spans: list[Row] = field(default_factory=list)
    facts: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)
    moves: days.Moves = field(default_factory=Counter)  # of its spans, in the days' backlog
    tallies: Tallies = field(default_factory=Counter)  # of its facts, in the days' sums


def _judged_rows(ids: list[int], cal: Calendar, targets: dict[int, Targets]) -> Batch:
    """The rollup's rows of these tickets, read and judged as figures.report reads and judges
    (four queries)."""
    tickets = Ticket.objects.filter(pk__in=ids).order_by()
    found = tickets.values_list(
        "pk",
        "subject",
        "claimed_severity",
        "severity",
        "status",
        "close_reason",
        "received_at",
        "door",
        "assignee_id",
        "organisation_id",
    )
    rows: list[TicketRow] = []
    organisations: dict[int, int | None] = {}
    for pk, subject, claimed, level, status, reason, at_, door, assignee, organisation in found:
        rows.append(TicketRow(pk, subject, claimed, level, status, reason, at_, door, assignee))
        organisations[pk] = organisation
    by_pk = {t.pk: t for t in rows}
    at, span, day = _adapters()
    history = figures.history(tickets, LATER)
    made = Batch()
    clocks: dict[int, list[Judged]] = defaultdict(list)
    for j in figures.judged_of(rows, history, targets, cal, LATER):
        ticket = by_pk[j.ticket]
        clocks[j.ticket].append(j)
        made.clocks.append(
            (
                j.ticket,
                at(ticket.received_at),
                organisations[j.ticket],
                ticket.level,
                j.clock,
                at(j.due),
                at(j.done_at),
                span(j.elapsed),
                j.outcome.value,
                ticket.assignee,
            )
        )
    sent = figures.sent_of(history.replies)
    for ticket in rows:
        events = history.events.get(ticket.pk, [])
        spans = figures.open_spans(ticket.received_at, events)
        org = organisations[ticket.pk]
        for start, end in spans:
            made.spans.append((ticket.pk, org, ticket.level, at(start), at(end)))
        made.moves.update(days.moves(((org, ticket.level, s) for s in spans), cal.tz))
        fact, agents, tallies = facts.rows_of(
            ticket,
            org,
            cal.tz,
            [(kind, data) for kind, _at, data in events],
            sent.get(ticket.pk, {}),
            clocks[ticket.pk],
            at,
            day,
        )
        made.facts.append(fact)
        made.agents.extend(agents)
        made.tallies.update(tallies)
    return made


COLUMNS = (
    "ticket_id",
    "received_at",
    "organisation_id",
    "level",
    "clock",
    "due",
    "done_at",
    "elapsed",
    "outcome",
    "assignee_id",
)


Adapters = tuple[
    Callable[[datetime | None], object],
    Callable[[timedelta | None], object],
    Callable[[date], object],
]


def _adapters() -> Adapters:
    """How the database takes a datetime, a duration and a date: the ORM's adaptation, without
    the ORM's cost per value (a backfill writes millions)."""
    if connection.vendor != "sqlite":
        return (lambda v: v), (lambda v: v), (lambda v: v)

    def at(value: datetime | None) -> object:  # naive UTC text, as Django stores it
        return None if value is None else as_stored(value)

    def span(value: timedelta | None) -> object:  # microseconds
        return None if value is None else value // timedelta(microseconds=1)

    return at, span, date.isoformat


SPAN_COLUMNS = ("ticket_id", "organisation_id", "level", "start", "end")


TABLES: tuple[tuple[type[Model], tuple[str, ...], str], ...] = (
    (ClockRow, COLUMNS, "clocks"),
    (SpanRow, SPAN_COLUMNS, "spans"),
    (FactRow, facts.FACT_COLUMNS, "facts"),
    (AgentRow, facts.AGENT_COLUMNS, "agents"),
)


def _write(made: Batch, cal: Calendar, replace: list[int] | None = None) -> None:
    """Write a batch's rows; `replace`: of tickets judged before, whose rows it replaces (and
    whose former spans' moves and tallies it takes away from the days' sums)."""
    moves, tallies = made.moves, made.tallies
    if replace is not None:
        moves.update(days.former(replace, cal.tz))
        tallies.update(facts.former(replace))
        for model, _columns, _part in TABLES:
            model._default_manager.filter(ticket_id__in=replace).delete()
    for model, columns, part in TABLES:
        _insert(model, columns, getattr(made, part))
    days.write(moves)
    facts.write(tallies)


def _insert(model: type[Model], columns: tuple[str, ...], rows: list[Row]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name  # "end" is a keyword
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({marks})",
            rows,
        )


# -- reads -----------------------------------------------------------------------------------


def _rows(period: Period, filters: Filters, now: datetime, cal: Calendar) -> QuerySet[ClockRow]:
    start, end = period.bounds(cal.tz)
    rows = ClockRow.objects.filter(received_at__gte=start, received_at__lt=end)
    if filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation)
    if filters.level is not None:
        rows = rows.filter(level=filters.level)
    if filters.agent is not None:
        cohort = Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
        rows = rows.filter(ticket_id__in=figures.filtered(cohort, filters, now).values("pk"))
    return rows.order_by()


def _state(now: datetime) -> Case:
    """The outcome at `now`: not met and not due yet, pending, whatever it becomes once due."""
    return Case(
        When(Q(done_at__isnull=True, due__gt=now), then=Value(Outcome.PENDING.value)),
        default=F("outcome"),
    )


def clock_figures(
    period: Period, filters: Filters, now: datetime, cal: Calendar
) -> list[figures.ClockFigures]:
    """figures.clock_figures of the period, from the rollup (one query)."""
    counted: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    grouped = (
        _rows(period, filters, now, cal)
        .annotate(state=_state(now))
        .values("level", "clock", "state")
    )
    for row in grouped.annotate(n=Count("pk")).values_list("level", "clock", "state", "n"):
        level, clock, state, n = row
        counted[(level, clock)][state] = n
    return [
        figures.ClockFigures(level, clock, *(counted[(level, clock)].get(o, 0) for o in Outcome))
        for level, clock in sorted(counted, key=figures.clock_order)
    ]


def durations(
    period: Period, filters: Filters, now: datetime, cal: Calendar
) -> list[figures.Durations]:
    """figures.durations of the period, from the rollup (one query, from an index alone). The
    times are ranked here: in SQLite the window functions that rank them took 75 ms where
    reading and sorting took 30 (tens of thousands a month at a large desk)."""
    found: dict[tuple[int, str], list[Any]] = defaultdict(list)  # durations, as stored
    rows = _rows(period, filters, now, cal).filter(
        clock__in=("first_response", "goal"), elapsed__isnull=False
    )
    # Fetched as the database gives them: the ORM's converters, called for each of tens of
    # thousands of rows, took as long as the query.
    sql, params = rows.values_list(
        "level", "clock", stored("elapsed", BigIntegerField)
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for level, clock, elapsed in cursor.fetchall():
            found[(level, clock)].append(elapsed)
    return [
        figures.Durations(level, clock, len(v), *(_rank(v, p) for p in figures.PERCENTILES))
        for (level, clock), v in sorted(found.items(), key=lambda i: figures.clock_order(i[0]))
    ]


def _rank(values: list[Any], percent: int) -> timedelta | None:
    found = figures.nearest_rank(values, percent)
    return None if found is None else duration_of(found)


def _breached(period: Period, filters: Filters, now: datetime, cal: Calendar) -> QuerySet[ClockRow]:
    # _state(now) == "breached", said so that the index of the breached rows serves.
    return (
        _rows(period, filters, now, cal)
        .filter(outcome=Outcome.BREACHED.value, due__isnull=False)
        .exclude(done_at__isnull=True, due__gt=now)
    )


def breaches(
    period: Period, filters: Filters, now: datetime, cal: Calendar, listed: int | None = None
) -> list[figures.Breach]:
    """figures.breaches of the period, from the rollup (one query): all, or the first `listed`
    (thousands a month at a large desk, where a page shows a hundred)."""
    rows = (
        _breached(period, filters, now, cal)
        .order_by("due", "ticket_id", "clock")
        .values_list("ticket_id", "ticket__subject", "level", "clock", "due", "done_at")
    )
    return [
        figures.Breach(ticket, subject, level, clock, due, done_at)
        for ticket, subject, level, clock, due, done_at in (
            rows if listed is None else rows[:listed]
        )
        if due is not None
    ]


def breach_totals(
    period: Period, filters: Filters, now: datetime, cal: Calendar
) -> tuple[int, int]:
    """How many breaches in the period, on how many tickets (one query)."""
    found = _breached(period, filters, now, cal).aggregate(
        n=Count("pk"), tickets=Count("ticket_id", distinct=True)
    )
    return found["n"], found["tickets"]


def by_assignee(
    period: Period, filters: Filters, now: datetime, cal: Calendar
) -> tuple[dict[int, int], dict[int, int]]:
    """agents.by_assignee of the period, from the rollup (one query): per agent, the clocks met
    and breached of the tickets assigned to them now."""
    met: dict[int, int] = {}
    breached: dict[int, int] = {}
    grouped = (
        _rows(period, filters, now, cal)
        .annotate(state=_state(now))
        .filter(
            state__in=(Outcome.MET.value, Outcome.BREACHED.value),
            assignee_id__isnull=False,
        )
        .values("assignee_id", "state")
    )
    for agent, state, n in grouped.annotate(n=Count("pk")).values_list("assignee_id", "state", "n"):
        if agent is not None:  # filtered: the type does not know
            (met if state == Outcome.MET.value else breached)[agent] = n
    return met, breached


def _clocks_behind(
    period: Period, filters: Filters, now: datetime, cal: Calendar
) -> figures.ClocksBehind:
    """The tickets behind a clock's figure (level, clock, outcome now), read when asked."""

    def behind(level: int, clock: str, outcome: str) -> frozenset[int]:
        rows = _rows(period, filters, now, cal).annotate(state=_state(now))
        found = rows.filter(level=level, clock=clock, state=outcome)
        return frozenset(found.values_list("ticket_id", flat=True))

    return behind


def clocks(
    period: Period, filters: Filters, now: datetime, cal: Calendar, listed: int | None = None
) -> figures.Clocks:
    """Every clock figure of a report, from the rollup: grouped counts and the breaches (all,
    or the first `listed`), a handful of queries whatever the number of tickets; the tickets
    behind a figure on demand."""

    met, breached = by_assignee(period, filters, now, cal)
    return figures.Clocks(
        clock_figures(period, filters, now, cal),
        durations(period, filters, now, cal),
        breaches(period, filters, now, cal, listed),
        *breach_totals(period, filters, now, cal),
        met,
        breached,
        _clocks_behind(period, filters, now, cal),
    )


def _span_rows(period: Period, filters: Filters, now: datetime, cal: Calendar) -> QuerySet[SpanRow]:
    """The spans of every ticket open at some time in the period, with the filters."""
    start, end = period.bounds(cal.tz)
    rows = SpanRow.objects.filter(Q(end__isnull=True) | Q(end__gte=start), start__lt=end)
    rows = rows.filter(start__lte=now)  # a ticket received, or reopened, later is not yet open
    if filters.level is not None:
        rows = rows.filter(level=filters.level)
    if filters.agent is not None:
        rows = rows.filter(ticket_id__in=figures.filtered(Ticket.objects.all(), filters, now))
    elif filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation)
    return rows.order_by()


def spans(period: Period, filters: Filters, now: datetime, cal: Calendar) -> OpenSpans:
    """figures.report's open spans, from the rollup (one query): of every ticket open at some
    time in the period, with the filters, as its events stood at `now`."""
    found: dict[int, tuple[int | None, list[Span]]] = {}
    rows = _span_rows(period, filters, now, cal).order_by("ticket_id", "start")
    for ticket, level, began, ended in rows.values_list("ticket_id", "level", "start", "end"):
        # An end after `now` had not happened yet: open then, as the events at `now` say.
        found.setdefault(ticket, (level, []))[1].append(
            (began, None if ended is None or ended > now else ended)
        )
    return {pk: (level, tuple(ticket_spans)) for pk, (level, ticket_spans) in found.items()}


def backlog(period: Period, filters: Filters, now: datetime, cal: Calendar) -> figures.Backlog:
    """figures.report's backlog, from the rollup (one query): the open tickets at each day's
    end counted from the spans' times read through `stored` (text or integers, in the times'
    order), none converted: tens of thousands a month at a large desk. The spans themselves
    are read only for the tickets behind a figure."""
    ats = day_ends(period, cal, now)
    ends = [as_stored(a) for a in ats]
    later = as_stored(now)
    rows = _span_rows(period, filters, now, cal).values_list(
        "level", stored("start"), stored("end")
    )
    found = ((level, s, None if e is None or e > later else e) for level, s, e in rows)
    return figures.Backlog(
        days_of(sweep(found, ends), period, ats), lambda: spans(period, filters, now, cal)
    )


def report(
    period: Period,
    filters: Filters,
    now: datetime,
    cal: Calendar,
    targets: dict[int, Targets],
    listed: int | None = None,
    *,
    summed: bool = True,
) -> figures.Report:
    """The lead's report, from the rollup when it is current under this policy, else from the
    events (figures.report): summed from its rows and days once a backfill wrote them, except
    filtered by agent, or not `summed` (for the tickets behind a figure, which the sums would
    read from the tickets anyway): then its clocks and its backlog's spans from the rollup, the
    rest counted from the tickets. Its breaches: all, or the first `listed` (a page's)."""
    state = _up_to_date(cal, targets)
    if state is None:
        counted = figures.report(period, filters, now, cal, targets)
        return replace(counted, awaiting_backfill=True)
    if state.facts and summed and filters.agent is None:
        by_day = figures.Backlog(
            days.backlog(period, filters, now, cal), lambda: spans(period, filters, now, cal)
        )
        return _from_facts(period, filters, now, cal, targets, by_day, listed)
    swept = backlog(period, filters, now, cal) if state.spans else None
    current = clocks(period, filters, now, cal, listed)
    counted = figures.report(period, filters, now, cal, targets, clocks=current, days=swept)
    return replace(counted, awaiting_backfill=not state.facts)


def _from_facts(
    period: Period,
    filters: Filters,
    now: datetime,
    cal: Calendar,
    targets: dict[int, Targets],
    by_day: figures.Backlog,
    listed: int | None,
) -> figures.Report:
    """The report from the rows per ticket and per agent: grouped sums, a few hundred rows
    whatever the number of tickets; the tickets behind a figure read only when asked, from the
    report counted from the tickets (`full`), which they equal (tests/reports)."""
    summed = facts.summed(period, filters, cal.tz)
    counted = facts.clock_counts(summed, period, filters, now, cal.tz)

    current = figures.Clocks(
        [
            figures.ClockFigures(level, clock, *(found.get(o, 0) for o in Outcome))
            for level, clock, found in counted.figures
        ],
        durations(period, filters, now, cal),
        breaches(period, filters, now, cal, listed),
        *breach_totals(period, filters, now, cal),
        counted.met,
        counted.breached,
        _clocks_behind(period, filters, now, cal),
    )

    @cache
    def full() -> figures.Report:
        return figures.report(period, filters, now, cal, targets, clocks=current, days=by_day)

    def tickets_behind(part: str, key: str, count: int) -> Counted:
        return Counted(count, lambda: behind_of(full(), part, key))

    found = facts.counts(summed, period, filters, tickets_behind)
    n = sum(d.total for d in found.load)
    return figures.Report(
        period=period,
        filters=filters,
        now=now,
        received=n,
        clocks=current.figures,
        durations=current.durations,
        breaches=current.breaches,
        breach_count=current.breach_count,
        breached_tickets=current.breached_tickets,
        refusals=found.refusals,
        matrix=found.matrix,
        closes=found.closes,
        load=found.load,
        agents=facts.agents(summed, filters, current.met, current.breached, tickets_behind),
        backlog=by_day.days,
        open_spans=by_day.spans,
        oldest=figures.oldest(filters, now),
        protocol=figures.protocol_of(period, filters, now, cal, found.cooperation),
        tickets=CountedRows(n, lambda: full().tickets),
        clocks_behind=current.behind,
        tz=cal.tz,
    )


def behind_of(report: figures.Report, part: str, key: str) -> AbstractSet[int]:
    """The tickets behind one of the figures `facts` counts, in the report from the tickets."""
    if part == "cooperation":
        return report.protocol.cooperation[key].tickets
    if part == "refusal":
        return report.refusals.behind.get(key, frozenset())
    return next(a.handled for a in report.agents if a.agent == int(key))
