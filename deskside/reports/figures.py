"""The lead's report: every figure of a period, read (never written) from the tickets, their
events, their public replies and their documentation changes.

One rule for every figure: it is about the tickets *received* in the period (by the calendar's
day, Brussels), judged as they stand at `now` (docs/reports.md). The reads are a fixed handful of
queries whatever the period: the tickets, their events, their replies, their documentation
changes, then pure Python (deskside/reports/clocks.py) does the business-time arithmetic.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT

from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets
from deskside.docs.models import ChangeStatus, DocChange
from deskside.onsite.models import Visit
from deskside.reports.agents import AgentFigures, by_assignee, per_agent
from deskside.reports.clocks import Facts, Judged, Outcome, Span, judge
from deskside.reports.load import DayBacklog, DayLoad, OpenSpans, backlog, load
from deskside.reports.period import Period
from deskside.reports.protocol import (
    ChangeRow,
    Protocol,
    Refusals,
    Tally,
    VisitRow,
    closes,
    matrix,
    protocol,
    protocol_with,
    refusals,
)
from deskside.reports.rows import DOORS, EventRow, Mark, Reply, Sent, TicketRow
from deskside.reports.rows import Filters as Filters  # re-exported: the views and tests use it
from deskside.reports.stored import stored
from deskside.tickets.closed import WITHOUT_LEVEL
from deskside.tickets.events import MilestoneReached, Reopened, Resumed, read
from deskside.tickets.models import (
    Direction,
    Door,
    Event,
    EventKind,
    Message,
    Status,
    Ticket,
)
from deskside.tickets.models.choices import PUBLIC_REPLY_KINDS

LEVELS = (1, 2, 3, 4)
_KINDS = (
    EventKind.CLOSED,
    EventKind.RESOLVED,
    EventKind.REOPENED,
    EventKind.RESUMED,
    EventKind.WAITING,
    EventKind.MILESTONE,
    EventKind.REMINDER,
    EventKind.REFUSED,
)
_PAUSE_ENDS = (EventKind.RESUMED, EventKind.CLOSED, EventKind.REOPENED, EventKind.RESOLVED)
_OPEN_ENDS = (EventKind.CLOSED, EventKind.RESOLVED)
_SPAN_KINDS = (*_OPEN_ENDS, EventKind.REOPENED, EventKind.RESUMED)  # what open_spans reads
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CLIENT)
OLDEST = 10  # open tickets listed, the longest waiting first


@dataclass(frozen=True)
class ClockFigures:
    level: int
    clock: str
    met: int
    breached: int
    pending: int
    ended: int

    @property
    def judged(self) -> int:
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        """Met among those met or breached; None when none was due yet."""
        return self.met / self.judged if self.judged else None


@dataclass(frozen=True)
class Durations:
    level: int
    clock: str
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class Breach:
    ticket: int
    subject: str
    level: int
    clock: str
    due: datetime
    done_at: datetime | None


@dataclass(frozen=True)
class Report:
    period: Period
    filters: Filters
    now: datetime
    received: int
    clocks: list[ClockFigures]
    durations: list[Durations]
    breaches: list[Breach]  # the earliest due first; all, or the first `listed` (rollup.report)
    breach_count: int
    breached_tickets: int
    refusals: Refusals
    matrix: dict[tuple[int, int], int]  # (claimed, assessed) → tickets
    closes: list[tuple[str, int]]
    load: list[DayLoad]
    agents: list[AgentFigures]
    backlog: list[DayBacklog]
    open_spans: Callable[[], OpenSpans]  # of every ticket the backlog counts, on demand: its
    # figures' drill-down
    oldest: list[TicketRow]  # open now, the longest waiting first
    protocol: Protocol
    tickets: Sequence[TicketRow]  # received in the period, at the level filtered
    clocks_behind: ClocksBehind  # the tickets behind a clock's figure
    tz: tzinfo  # the calendar's: a ticket's day of receipt
    levels: tuple[int, ...] = field(default=LEVELS)
    # Counted from the tickets because the rollup waits for `deskside backfill_reports` (an
    # upgrade, or a new policy): exact, slow at a large desk. The page says so.
    awaiting_backfill: bool = False

    @property
    def doors(self) -> dict[str, int]:
        return {door: sum(d.by_door[door] for d in self.load) for door in DOORS}


ClocksBehind = Callable[[int, str, str], frozenset[int]]  # level, clock, outcome → tickets


@dataclass(frozen=True)
class Clocks:
    """Every figure of a report about its clocks, judged from the events here or read from the
    rollup (deskside/reports/rollup.py): the same figures either way (tests/reports)."""

    figures: list[ClockFigures]
    durations: list[Durations]
    breaches: list[Breach]
    breach_count: int
    breached_tickets: int
    met: dict[int, int]  # per agent: the clocks of the tickets assigned to them now
    breached: dict[int, int]
    behind: ClocksBehind


@dataclass(frozen=True)
class Backlog:
    """The open tickets at the end of each day, and when each ticket counted was open (for the
    tickets behind a figure: read only when asked)."""

    days: list[DayBacklog]
    spans: Callable[[], OpenSpans]


def report(
    period: Period,
    filters: Filters,
    now: datetime,
    cal: Calendar,
    targets: dict[int, Targets],
    clocks: Clocks | None = None,
    days: Backlog | None = None,
) -> Report:
    """Every figure of the lead's report for `period`; its clocks judged and its backlog
    counted from the events unless the caller has them (the rollup's)."""
    cohort = _cohort(period, filters, cal, now)
    tickets = _ticket_rows(cohort.order_by("received_at", "id"))
    leveled = [t for t in tickets if filters.level is None or t.level == filters.level]
    changes = _changes(cohort)
    if clocks is None:  # the clocks judged here need every event and reply, with its time
        events = _events(cohort, now)
        replies = _replies(cohort, now)
        clocks = _clocks(tickets, leveled, events, replies, changes, targets, cal, now)
        marks = {pk: [(kind, data) for kind, _at, data in rows] for pk, rows in events.items()}
        sent = sent_of(replies)
    else:  # the rest needs neither times nor every reply: fewer rows, nothing converted
        marks = _marks(cohort, now)
        sent = _sent(cohort, now)
    if days is None:
        spans = _backlog(period, filters, cal, now)
        days = Backlog(backlog(spans, period, cal, now), lambda: spans)
    return Report(
        period=period,
        filters=filters,
        now=now,
        received=len(leveled),
        clocks=clocks.figures,
        durations=clocks.durations,
        breaches=clocks.breaches,
        breach_count=clocks.breach_count,
        breached_tickets=clocks.breached_tickets,
        refusals=refusals(tickets, marks),
        matrix=matrix(leveled),
        closes=closes(leveled),
        load=load(leveled, period, cal),
        agents=per_agent(leveled, sent, clocks.met, clocks.breached),
        backlog=days.days,
        open_spans=days.spans,
        oldest=oldest(filters, now),
        protocol=protocol(leveled, marks, _visits(cohort), changes),
        tickets=leveled,
        clocks_behind=clocks.behind,
        tz=cal.tz,
    )


def _clocks(
    tickets: list[TicketRow],
    leveled: list[TicketRow],
    events: dict[int, list[EventRow]],
    replies: dict[int, list[Reply]],
    changes: list[ChangeRow],
    targets: dict[int, Targets],
    cal: Calendar,
    now: datetime,
) -> Clocks:
    judged = _judged(leveled, events, replies, documentation_done(changes), targets, cal, now)
    subjects = {t.pk: t for t in tickets}

    def behind(level: int, clock: str, outcome: str) -> frozenset[int]:
        return frozenset(
            j.ticket
            for j in judged
            if subjects[j.ticket].level == level and j.clock == clock and j.outcome == outcome
        )

    met, breached = by_assignee(leveled, judged)
    every = breaches(judged, subjects)
    return Clocks(
        clock_figures(judged, subjects),
        durations(judged, subjects),
        every,
        len(every),
        len({b.ticket for b in every}),
        met,
        breached,
        behind,
    )


# -- reads -----------------------------------------------------------------------------------


def _cohort(period: Period, filters: Filters, cal: Calendar, now: datetime) -> QuerySet[Ticket]:
    start, end = period.bounds(cal.tz)
    cohort = Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
    return filtered(cohort, filters, now).order_by()


def filtered(tickets: QuerySet[Ticket], filters: Filters, now: datetime) -> QuerySet[Ticket]:
    """The organisation and agent filters (the level filter is applied in Python: the refusals
    are about tickets without a level)."""
    if filters.organisation is not None:
        tickets = tickets.filter(organisation_id=filters.organisation)
    if filters.agent is not None:
        replied = _public_replies(now).filter(author_id=filters.agent).values("ticket_id")
        tickets = tickets.filter(Q(assignee_id=filters.agent) | Q(pk__in=replied))
    return tickets


def _public_replies(now: datetime) -> QuerySet[Message]:
    return Message.objects.filter(
        direction=Direction.OUTBOUND, kind__in=PUBLIC_REPLY_KINDS, created_at__lte=now
    )


def _ticket_rows(cohort: QuerySet[Ticket]) -> list[TicketRow]:
    # The caller orders: the oldest open tickets are a slice, which cannot be reordered.
    fields = ("pk", "subject", "claimed_severity", "severity", "status", "close_reason")
    rows = cohort.values_list(*fields, stored("received_at"), "door", "assignee_id")
    return [
        TicketRow(pk, subject, claimed, level, status, reason, at, door, assignee)
        for pk, subject, claimed, level, status, reason, at, door, assignee in rows
    ]


def _events(
    cohort: QuerySet[Ticket], now: datetime, kinds: tuple[EventKind, ...] = _KINDS
) -> dict[int, list[EventRow]]:
    rows = (
        Event.objects.filter(ticket_id__in=cohort.values("pk"), kind__in=kinds, created_at__lte=now)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "created_at", "data")
    )
    found: dict[int, list[EventRow]] = defaultdict(list)
    for ticket, kind, at, data in rows:
        found[ticket].append((kind, at, data if isinstance(data, dict) else {}))
    return found


def _replies(cohort: QuerySet[Ticket], now: datetime) -> dict[int, list[Reply]]:
    rows = (
        _public_replies(now)
        .filter(ticket_id__in=cohort.values("pk"))
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "created_at", "author_id")
    )
    found: dict[int, list[Reply]] = defaultdict(list)
    for ticket, at, author in rows:
        found[ticket].append((at, author))
    return found


def _marks(cohort: QuerySet[Ticket], now: datetime) -> dict[int, list[Mark]]:
    """The events the refusals and the cooperation count (protocol.py), and only those: every
    reminder and refusal of steps; of the tickets opened by mail, a first close for want of a
    level and each reopening that gave one. The month's other closes (tens of thousands at a
    large desk) are not read. One query."""
    events = Event.objects.filter(created_at__lte=now).order_by()
    mail = cohort.filter(door=Door.MAIL).values("pk")
    earlier = events.filter(ticket_id=OuterRef("ticket_id"), kind=EventKind.CLOSED).filter(
        Q(created_at__lt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
    )
    # The two keys read, as text from the database: decoding each event's JSON in Python
    # was most of this read's time.
    columns = ("ticket_id", "kind", "reason", "was")
    read = events.annotate(reason=KT("data__reason"), was=KT("data__was"))
    tallied = read.filter(
        ticket_id__in=cohort.values("pk"), kind__in=(EventKind.REMINDER, EventKind.REFUSED)
    )
    refused = read.filter(ticket_id__in=mail, kind=EventKind.CLOSED, data__reason__in=WITHOUT_LEVEL)
    came_back = read.filter(
        ticket_id__in=mail, kind=EventKind.REOPENED, data__was__in=WITHOUT_LEVEL
    )
    rows = tallied.values_list(*columns).union(
        refused.exclude(Exists(earlier)).values_list(*columns),
        came_back.values_list(*columns),
        all=True,
    )
    found: dict[int, list[Mark]] = defaultdict(list)
    for ticket, kind, reason, was in rows:
        found[ticket].append((kind, {"reason": reason, "was": was}))
    return found


def _sent(cohort: QuerySet[Ticket], now: datetime) -> Sent:
    """Per ticket, the public replies of each agent: counted by the database."""
    rows = (
        _public_replies(now)
        .filter(ticket_id__in=cohort.values("pk"), author_id__isnull=False)
        .order_by()
        .values_list("ticket_id", "author_id")
        .annotate(n=Count("pk"))
    )
    found: Sent = defaultdict(dict)
    for ticket, author, n in rows:
        found[ticket][author] = n
    return found


def sent_of(replies: dict[int, list[Reply]]) -> Sent:
    """`_sent`, from the replies read already."""
    found: Sent = defaultdict(dict)
    for ticket, rows in replies.items():
        for _at, author in rows:
            if author is not None:
                found[ticket][author] = found[ticket].get(author, 0) + 1
    return found


def _changes(cohort: QuerySet[Ticket]) -> list[ChangeRow]:
    rows = DocChange.objects.filter(ticket_id__in=cohort.values("pk")).order_by("ticket_id", "id")
    return list(rows.values_list("ticket_id", "kind", "status", "done_at"))


def _visits(cohort: QuerySet[Ticket]) -> list[VisitRow]:
    rows = Visit.objects.filter(ticket_id__in=cohort.values("pk")).order_by("ticket_id", "id")
    return list(rows.values_list("ticket_id", "status", "refusal", "time_spent"))


def protocol_of(
    period: Period, filters: Filters, now: datetime, cal: Calendar, counted: dict[str, Tally]
) -> Protocol:
    """The protocol's figures with the cooperation `counted` (the rollup's facts): the visits
    and documentation changes of the tickets received read here (two queries, a few rows)."""
    cohort = _cohort(period, filters, cal, now)
    if filters.level is not None:
        cohort = cohort.filter(severity=filters.level)
    return protocol_with(counted, _visits(cohort), _changes(cohort))


def documentation_done(rows: list[ChangeRow]) -> dict[int, datetime | None]:
    """Per ticket with changes: when the last was done once all are done, else None."""
    changes: dict[int, list[tuple[str, datetime | None]]] = defaultdict(list)
    for ticket, _kind, status, done_at in rows:
        changes[ticket].append((status, done_at))
    return {
        ticket: None
        if any(status != ChangeStatus.DONE for status, _ in found)
        else max((d for _, d in found if d is not None), default=None)
        for ticket, found in changes.items()
    }


def _open_tickets(tickets: QuerySet[Ticket], filters: Filters, now: datetime) -> QuerySet[Ticket]:
    tickets = filtered(tickets.filter(received_at__lte=now), filters, now)
    if filters.level is not None:
        tickets = tickets.filter(severity=filters.level)
    return tickets.order_by()


def _backlog(period: Period, filters: Filters, cal: Calendar, now: datetime) -> OpenSpans:
    """When each ticket that may have been open at some time in the period was open: open now,
    or closed or resolved since its start; their events say when exactly (two queries)."""
    start, end = period.bounds(cal.tz)
    ended = Event.objects.filter(kind__in=_OPEN_ENDS, created_at__gte=start).values("ticket_id")
    candidates = _open_tickets(
        Ticket.objects.filter(received_at__lt=end).filter(
            Q(status__in=OPEN_STATUSES) | Q(pk__in=ended)
        ),
        filters,
        now,
    )
    rows = _ticket_rows(candidates)  # in no order: counted
    spans = spans_at(candidates, rows, now)
    return {t.pk: (t.level, spans[t.pk]) for t in rows}


def spans_at(
    cohort: QuerySet[Ticket], tickets: list[TicketRow], now: datetime
) -> dict[int, tuple[Span, ...]]:
    """The open spans of `tickets` (the rows of `cohort`) as their events stand at `now`: what
    the rollup keeps (deskside/reports/rollup.py). One query."""
    events = _events(cohort, now, kinds=_SPAN_KINDS)
    return {t.pk: open_spans(t.received_at, events.get(t.pk, [])) for t in tickets}


def oldest(filters: Filters, now: datetime) -> list[TicketRow]:
    # in_queue: the queue's partial indexes hold the open tickets only, a few thousand to sort
    # rather than every ticket ever received walked in the order of receipt.
    open_now = Ticket.objects.filter(in_queue=True, status__in=OPEN_STATUSES)
    found = _open_tickets(open_now, filters, now)
    return _ticket_rows(found.order_by("received_at", "id")[:OLDEST])


# -- a ticket's facts, as tickets/clocks.py reads them for the desk ---------------------------


def facts_of(
    ticket: TicketRow,
    events: list[EventRow],
    replies: list[Reply],
    documentation: dict[int, datetime | None],
) -> Facts:
    assert ticket.level is not None
    return Facts(
        ticket=ticket.pk,
        level=ticket.level,
        start=clock_start(ticket.received_at, events),
        replies=tuple(at for at, _author in replies),
        milestones=tuple(
            (at, str(read(data, MilestoneReached).get("milestone")))
            for kind, at, data in events
            if kind == EventKind.MILESTONE
        ),
        waits=waiting_spans(events),
        open_spans=open_spans(ticket.received_at, events),
        documentation_done_at=documentation.get(ticket.pk),
        has_doc_changes=ticket.pk in documentation,
    )


def clock_start(received_at: datetime, events: list[EventRow]) -> datetime:
    """A ticket that had no usable level starts its clocks when a reply gave it one."""
    for kind, at, data in reversed(events):
        if kind == EventKind.REOPENED and read(data, Reopened).get("was") in WITHOUT_LEVEL:
            return at
    return received_at


def waiting_spans(events: list[EventRow]) -> tuple[Span, ...]:
    spans: list[Span] = []
    started: datetime | None = None
    for kind, at, _data in events:
        if kind == EventKind.WAITING and started is None:
            started = at
        elif kind in _PAUSE_ENDS and started is not None:
            spans.append((started, at))
            started = None
    return (*spans, (started, None)) if started is not None else tuple(spans)


def open_spans(received_at: datetime, events: list[EventRow]) -> tuple[Span, ...]:
    """When the ticket was new, open or waiting: from receipt to a close or a resolve, and
    again from a reopening (or a client's answer to a resolved ticket)."""
    spans: list[Span] = []
    started: datetime | None = received_at
    for kind, at, data in events:
        if kind in _OPEN_ENDS and started is not None:
            spans.append((started, at))
            started = None
        elif started is None and (
            kind == EventKind.REOPENED
            or (kind == EventKind.RESUMED and read(data, Resumed).get("was") == Status.RESOLVED)
        ):
            started = at
    return (*spans, (started, None)) if started is not None else tuple(spans)


@dataclass(frozen=True)
class History:
    """What the clocks and the rollup read of tickets: their events (of the kinds the report
    counts), their public replies, when their documentation changes were all done."""

    events: dict[int, list[EventRow]]
    replies: dict[int, list[Reply]]
    documentation: dict[int, datetime | None]


def history(cohort: QuerySet[Ticket], now: datetime) -> History:
    """The history of the tickets of `cohort` up to `now` (three queries)."""
    return History(
        _events(cohort, now), _replies(cohort, now), documentation_done(_changes(cohort))
    )


def judged_of(
    tickets: Iterable[TicketRow],
    found: History,
    targets: dict[int, Targets],
    cal: Calendar,
    now: datetime,
) -> list[Judged]:
    return _judged(tickets, found.events, found.replies, found.documentation, targets, cal, now)


def _judged(
    tickets: Iterable[TicketRow],
    events: dict[int, list[EventRow]],
    replies: dict[int, list[Reply]],
    documentation: dict[int, datetime | None],
    targets: dict[int, Targets],
    cal: Calendar,
    now: datetime,
) -> list[Judged]:
    judged: list[Judged] = []
    for ticket in tickets:
        if ticket.level is None or ticket.level not in targets:
            continue  # no level, no clock
        facts = facts_of(
            ticket, events.get(ticket.pk, []), replies.get(ticket.pk, []), documentation
        )
        judged.extend(judge(facts, targets[ticket.level], cal, now))
    return judged


# -- figures ---------------------------------------------------------------------------------


def clock_figures(judged: list[Judged], tickets: dict[int, TicketRow]) -> list[ClockFigures]:
    counted: Counter[tuple[int, str, Outcome]] = Counter(
        (_level(j, tickets), j.clock, j.outcome) for j in judged
    )
    kinds = sorted({(level, clock) for level, clock, _ in counted}, key=clock_order)
    return [
        ClockFigures(level, clock, *(counted[(level, clock, o)] for o in Outcome))
        for level, clock in kinds
    ]


def durations(judged: list[Judged], tickets: dict[int, TicketRow]) -> list[Durations]:
    """Median and 90th percentile of the business time to the first response and to the goal,
    over the clocks that were met or met late."""
    found: dict[tuple[int, str], list[timedelta]] = defaultdict(list)
    for j in judged:
        if j.clock in ("first_response", "goal") and j.elapsed is not None:
            found[(_level(j, tickets), j.clock)].append(j.elapsed)
    return [
        Durations(level, clock, len(values), *(nearest_rank(values, p) for p in PERCENTILES))
        for (level, clock), values in sorted(found.items(), key=lambda item: clock_order(item[0]))
    ]


PERCENTILES = (50, 90)  # the durations' median and 90th percentile


def nearest_rank[V: Any](values: list[V], percent: int) -> V | None:  # V: sortable
    """The smallest value with at least `percent` % of the values at or below it: always one of
    the values, so a lead can find the ticket behind it."""
    if not values:
        return None
    return sorted(values)[rank(percent, len(values)) - 1]


def rank(percent: int, count: int) -> int:
    """The nearest rank of `percent` among `count` values, in whole numbers: 0.9 × 70 is
    63.00000000000001 in floating point, whose ceiling is not 63."""
    return max(-(-percent * count // 100), 1)


def breaches(judged: list[Judged], tickets: dict[int, TicketRow]) -> list[Breach]:
    found = [
        Breach(j.ticket, tickets[j.ticket].subject, _level(j, tickets), j.clock, j.due, j.done_at)
        for j in judged
        if j.outcome == Outcome.BREACHED and j.due is not None
    ]
    return sorted(found, key=lambda b: (b.due, b.ticket, b.clock))


def _level(judged: Judged, tickets: dict[int, TicketRow]) -> int:
    level = tickets[judged.ticket].level
    assert level is not None
    return level


def clock_order(key: tuple[int, str]) -> tuple[int, int]:
    order = ("first_response", "next_update", "goal", "documentation")
    return key[0], order.index(key[1])
