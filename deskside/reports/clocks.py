"""Whether each of a ticket's clocks was kept: the report's judgement, in pure Python.

The desk's clocks (deskside/core/clocks.py) say when a clock is due *now*; a report asks, after
the fact, whether each clock was met in time. The rules here follow the desk's so that a breach
in the report is a breach the desk showed (docs/reports.md, Clocks kept):

- a clock is *met* when what stops it (the first public reply, the goal's milestone, the next
  update, the documentation done) came by its due time, each wait on the client pushing the due
  time later by the business time it took;
- it is *breached* when its due time passed unmet while the ticket was open (new, open or
  waiting) at that moment or at any later one up to now: a reopened ticket whose deadline passed
  is overdue at once, as in the desk;
- it is *pending* when it is not met and not due yet (or paused while the ticket waits);
- it *ended* when the ticket was closed or resolved before its due time without meeting it (a
  duplicate, a withdrawal): nobody was kept waiting, so it counts neither way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from deskside.core.business_time import Calendar
from deskside.core.clocks import Targets

Span = tuple[datetime, datetime | None]  # (from, to); to is None while it lasts


class Outcome(StrEnum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    ENDED = "ended"


CLOCKS = ("first_response", "next_update", "goal", "documentation")


@dataclass(frozen=True)
class Facts:
    """What a ticket's events say, as far as the report's clocks care. Datetimes are aware."""

    ticket: int
    level: int
    start: datetime  # received, or given a level after a close for want of one
    replies: tuple[datetime, ...] = ()  # public replies of agents, in order
    milestones: tuple[tuple[datetime, str], ...] = ()
    waits: tuple[Span, ...] = ()  # waiting on the client, in order, not overlapping
    open_spans: tuple[Span, ...] = ()  # new, open or waiting, in order
    documentation_done_at: datetime | None = None
    has_doc_changes: bool = False


@dataclass(frozen=True)
class Judged:
    """One clock of one ticket (a ticket has one update clock per public reply)."""

    ticket: int
    clock: str
    outcome: Outcome
    due: datetime | None  # None while paused
    done_at: datetime | None
    elapsed: timedelta | None  # business time from start to done, waits excluded


@dataclass(frozen=True)
class _Context:
    cal: Calendar
    now: datetime
    waits: tuple[Span, ...]
    open_spans: tuple[Span, ...]


def judge(facts: Facts, targets: Targets, cal: Calendar, now: datetime) -> list[Judged]:
    """Every clock of one ticket, as it stands at `now`."""
    ctx = _Context(cal, now, facts.waits, facts.open_spans)
    start = cal.next_opening(facts.start)
    goal_at = min(
        (t for t, name in facts.milestones if name in targets.goal_milestones), default=None
    )
    judged: list[Judged] = []
    if targets.first_response is not None:
        first = facts.replies[0] if facts.replies else None
        judged.append(
            _judge(facts.ticket, "first_response", start, targets.first_response, first, ctx)
        )
    if targets.next_update is not None:
        judged.extend(_updates(facts, targets.next_update, goal_at, ctx))
    if targets.goal is not None:
        judged.append(_judge(facts.ticket, "goal", start, targets.goal, goal_at, ctx))
    if targets.documentation is not None:
        # Documentation changes stay owed after the close: the clock runs as if always open.
        spans = ((start, None),) if facts.has_doc_changes else facts.open_spans
        docs = _Context(cal, now, facts.waits, spans)
        done = facts.documentation_done_at
        judged.append(
            _judge(facts.ticket, "documentation", start, targets.documentation, done, docs)
        )
    return judged


def _updates(
    facts: Facts, interval: timedelta, goal_at: datetime | None, ctx: _Context
) -> list[Judged]:
    """One update clock per public reply until the goal is met; the next reply (or the goal)
    stops it."""
    judged = []
    replies = facts.replies
    for i, started in enumerate(replies):
        if goal_at is not None and started >= goal_at:
            break
        stops = [t for t in (replies[i + 1] if i + 1 < len(replies) else None, goal_at) if t]
        judged.append(
            _judge(facts.ticket, "next_update", started, interval, min(stops, default=None), ctx)
        )
    return judged


def _judge(
    ticket: int,
    clock: str,
    started: datetime,
    target: timedelta,
    done: datetime | None,
    ctx: _Context,
) -> Judged:
    until = done if done is not None else ctx.now
    due = deadline(ctx.cal, started, target, waits_until(ctx.waits, until))
    elapsed = business_elapsed(ctx.cal, started, done, ctx.waits) if done is not None else None
    if done is not None and (due is None or done <= due):
        outcome = Outcome.MET
    elif due is None or due > ctx.now:
        outcome = Outcome.PENDING
    elif open_between(ctx.open_spans, due, until):
        outcome = Outcome.BREACHED
    else:
        outcome = Outcome.ENDED
    return Judged(ticket, clock, outcome, due, done, elapsed)


def waits_until(waits: tuple[Span, ...], at: datetime) -> tuple[Span, ...]:
    """The waits as they stood at `at`: one still going then ends in None."""
    return tuple((s, None if e is None or e > at else e) for s, e in waits if s <= at)


def deadline(
    cal: Calendar, started: datetime, target: timedelta, waits: tuple[Span, ...]
) -> datetime | None:
    """When a clock of `target` business time started at `started` is due, each wait pushing
    it later by what was left when it began; None while it is paused with time left."""
    due = cal.add(started, target)
    for wait_start, wait_end in sorted(waits, key=lambda w: w[0]):
        if wait_start >= due:
            break  # ran out before this wait (and every later one) began
        stopped = max(wait_start, started)
        if wait_end is None:
            return None
        if wait_end > stopped:
            due = cal.add(wait_end, cal.between(stopped, due))
    return due


def business_elapsed(
    cal: Calendar, started: datetime, done: datetime, waits: tuple[Span, ...]
) -> timedelta:
    """Business time from `started` to `done`, less the business time spent waiting."""
    total = cal.between(started, done)
    for wait_start, wait_end in waits:
        a, b = max(wait_start, started), min(wait_end or done, done)
        if b > a:
            total -= cal.between(a, b)
    return max(total, timedelta(0))


def open_between(spans: tuple[Span, ...], a: datetime, b: datetime) -> bool:
    """Whether the ticket was open at some instant from `a` to `b`."""
    return any(s <= b and (e is None or e > a) for s, e in spans)
