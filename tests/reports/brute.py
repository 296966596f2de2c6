"""The report's figures recomputed the slow, obvious way, to check deskside/reports against.

Business time here is a list of the calendar's business minutes, each minute's opening read in
Brussels wall time through zoneinfo and the `holidays` package: no Calendar, no bisecting of
compiled years. A clock's due time is the end of its target-th business minute outside waits.
Each ticket is read on its own, through the desk's per-ticket reader (tickets/clocks.history).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from deskside.core.severity import Result, read_severity
from deskside.docs.models import DocChange
from deskside.tickets import clocks, policy
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    Message,
    Status,
    Ticket,
)
from deskside.tickets.models.choices import PUBLIC_REPLY_KINDS

BRUSSELS = ZoneInfo("Europe/Brussels")
MINUTE = timedelta(minutes=1)


def business_minutes(first: date, last: date) -> list[datetime]:
    """Every minute in which the desk is open, from `first` to `last` (local dates)."""
    closed = holidays.country_holidays("BE", years=range(first.year, last.year + 1))
    t = datetime.combine(first, datetime.min.time(), tzinfo=BRUSSELS).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=BRUSSELS)
    found = []
    while t < end:
        local = t.astimezone(BRUSSELS)
        if local.weekday() < 5 and 9 <= local.hour < 17 and local.date() not in closed:
            found.append(t)
        t += MINUTE
    return found


def _in(t: datetime, spans) -> bool:
    return any(s <= t and (e is None or t < e) for s, e in spans)


def judge_clock(minutes, started, target, done, waits, open_spans, now):
    """(outcome, due, elapsed) of one clock."""
    until = done or now
    counted = [m for m in minutes if m >= started and not _in(m, waits)]
    need = round(target / MINUTE)
    reached = [m for m in counted if m < until][:need]
    elapsed = timedelta(minutes=sum(1 for m in counted if m < until)) if done else None
    # Due at the end of the target-th business minute: a reply a minute after closing time,
    # with no business time between, is still after it (the desk says "0 min late").
    due = reached[-1] + MINUTE if len(reached) == need else None
    if done is not None and (due is None or done <= due):
        return "met", due, elapsed
    if due is None:
        return "pending", None, elapsed
    if any(s <= until and (e is None or e > due) for s, e in open_spans):
        return "breached", due, elapsed
    return "ended", due, elapsed


def opens_of(ticket: Ticket) -> list[tuple[datetime, datetime | None]]:
    spans: list[tuple[datetime, datetime | None]] = []
    since: datetime | None = ticket.received_at
    for e in ticket.events.order_by("created_at", "id"):
        if e.kind in (EventKind.CLOSED, EventKind.RESOLVED) and since is not None:
            spans.append((since, e.created_at))
            since = None
        elif since is None and (
            e.kind == EventKind.REOPENED
            or (e.kind == EventKind.RESUMED and e.data.get("was") == Status.RESOLVED)
        ):
            since = e.created_at
    return [*spans, (since, None)] if since else spans


def clocks_of(ticket: Ticket, minutes, now):
    """[(clock, outcome, due, elapsed)] of one ticket."""
    assert ticket.severity is not None
    target = policy.targets()[ticket.severity]
    h = clocks.history(ticket)
    opens = opens_of(ticket)
    waits = list(h.waiting_periods)
    goal_at = min((t for t, m in h.milestones if m in target.goal_milestones), default=None)
    replies = sorted(h.public_replies)
    out = []

    def add(name, started, duration, done, spans=opens):
        out.append((name, *judge_clock(minutes, started, duration, done, waits, spans, now)))

    add("first_response", h.received_at, target.first_response, replies[0] if replies else None)
    if target.next_update:
        for i, r in enumerate(replies):
            if goal_at and r >= goal_at:
                break
            stops = [t for t in (replies[i + 1] if i + 1 < len(replies) else None, goal_at) if t]
            add("next_update", r, target.next_update, min(stops, default=None))
    add("goal", h.received_at, target.goal, goal_at)
    if target.documentation:
        owed = DocChange.objects.filter(ticket=ticket).exists()
        spans = [(h.received_at, None)] if owed else opens
        add("documentation", h.received_at, target.documentation, h.documentation_done_at, spans)
    return out


def nearest_rank(values, percent):
    """The nearest rank, ⌈percent × n / 100⌉, in exact fractions."""
    if not values:
        return None
    return sorted(values)[max(ceil(Fraction(percent * len(values), 100)), 1) - 1]


def figures(tickets: list[Ticket], minutes, now, tz=BRUSSELS):
    """Everything the report shows, as plain dicts and sets."""
    outcomes: Counter[tuple[int, str, str]] = Counter()
    behind: dict[tuple[int, str, str], set[int]] = {}
    breaches: set[tuple[int, str, datetime]] = set()
    elapsed: dict[tuple[int, str], list[float]] = {}
    for t in tickets:
        if t.severity is None:
            continue
        for name, outcome, due, spent in clocks_of(t, minutes, now):
            outcomes[(t.severity, name, outcome)] += 1
            behind.setdefault((t.severity, name, outcome), set()).add(t.pk)
            if outcome == "breached":
                breaches.add((t.pk, name, due))
            if name in ("first_response", "goal") and spent is not None:
                elapsed.setdefault((t.severity, name), []).append(spent)
    return {
        "outcomes": outcomes,
        "behind": behind,
        "breaches": breaches,
        "durations": {
            k: (len(v), nearest_rank(v, 50), nearest_rank(v, 90)) for k, v in elapsed.items()
        },
        "load": Counter((t.received_at.astimezone(tz).date(), t.severity) for t in tickets),
        "matrix": Counter(
            (t.claimed_severity, t.severity) for t in tickets if t.claimed_severity and t.severity
        ),
        "closes": Counter(t.close_reason for t in tickets if t.status == Status.CLOSED),
        "refusals": refusals(tickets),
        "agents": agents(tickets, minutes, now),
    }


def handled_by(t: Ticket) -> set[int]:
    """The agents who handled a ticket: its assignee now, and whoever replied publicly."""
    who = {t.assignee_id} if t.assignee_id else set()
    return who | {m.author_id for m in public_replies(t) if m.author_id}


def public_replies(t: Ticket) -> list[Message]:
    return [
        m
        for m in t.messages.all()
        if m.direction == Direction.OUTBOUND and m.kind in PUBLIC_REPLY_KINDS
    ]


def agents(tickets: list[Ticket], minutes, now):
    """{agent: (tickets handled, public replies, met, breached)}."""
    found: dict[int, list[Any]] = {}
    for t in tickets:
        for agent in handled_by(t):
            found.setdefault(agent, [set(), 0, 0, 0])[0].add(t.pk)
        for m in public_replies(t):
            if m.author_id:
                found[m.author_id][1] += 1
        if t.severity is None or t.assignee_id is None:
            continue
        for _name, outcome, _due, _spent in clocks_of(t, minutes, now):
            if outcome in ("met", "breached"):
                found[t.assignee_id][2 if outcome == "met" else 3] += 1
    return {a: (frozenset(v[0]), v[1], v[2], v[3]) for a, v in found.items()}


def refusals(tickets: list[Ticket]):
    closed: Counter[str] = Counter()
    back: Counter[str] = Counter()
    new_mail = 0
    for t in tickets:
        first = t.messages.order_by("created_at", "id").first()
        if first is None or first.kind != "mail":
            continue
        new_mail += 1
        first_close = t.events.filter(kind=EventKind.CLOSED).order_by("created_at", "id").first()
        reason = first_close.data.get("reason") if first_close else None
        if reason not in (CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY):
            continue
        why = "no" if reason == CloseReason.NO_SEVERITY else "invalid"
        if why == "invalid" and read_severity(t.subject).result == Result.AMBIGUOUS:
            why = "ambiguous"
        closed[why] += 1
        if t.events.filter(kind=EventKind.REOPENED, data__was=reason).exists():
            back[why] += 1
    return new_mail, closed, back


def door(t: Ticket) -> str:
    first = t.messages.order_by("created_at", "id").first()
    kind = first.kind if first else ""
    return {"mail": "mail", "web": "portal"}.get(kind, "desk")


def load_figures(tickets: list[Ticket], first: date, last: date, now: datetime, tz=BRUSSELS):
    """Doors per day, the backlog at each day's end (now for today) and the oldest open."""
    backlog: Counter[tuple[date, int | None]] = Counter()
    behind: dict[date, set[int]] = {}
    day = first
    while day <= last and datetime.combine(day, time(0), tzinfo=tz) <= now:
        at = min(datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz), now)
        behind[day] = set()
        for t in tickets:
            if _in(at, opens_of(t)):
                backlog[(day, t.severity)] += 1
                behind[day].add(t.pk)
        day += timedelta(days=1)
    still_open = [t for t in tickets if t.status in ("new", "open", "waiting_on_client")]
    return {
        "doors": Counter((t.received_at.astimezone(tz).date(), door(t)) for t in tickets),
        "backlog": backlog,
        "backlog_tickets": behind,  # each day's: open at its end
        "backlog_days": (day - first).days,
        "oldest": [t.pk for t in sorted(still_open, key=lambda t: (t.received_at, t.pk))][:10],
    }


def protocol_figures(tickets: list[Ticket]):
    """{figure: (count, tickets)} of cooperation, visits and documentation, and the time spent."""
    found: dict[str, list[int]] = {}

    def add(key: str, pk: int) -> None:
        found.setdefault(key, []).append(pk)

    spent = timedelta(0)
    for t in tickets:
        for e in t.events.all():
            if e.kind == EventKind.REMINDER:
                add("reminders", t.pk)
            elif e.kind == EventKind.REFUSED:
                add("refusals", t.pk)
        if t.status == Status.CLOSED and t.close_reason.startswith("client_"):
            add(t.close_reason, t.pk)
        for v in t.visits.all():
            add("requested", t.pk)
            if v.status == "refused":
                add("refused", t.pk)
                if v.refusal in ("not_belgium", "bad_country"):
                    add("refused_abroad", t.pk)
            elif v.status == "done":
                add("done", t.pk)
                spent += v.time_spent or timedelta(0)
        for c in t.doc_changes.all():
            add("no_change" if c.kind == "no_change" else f"changes_{c.status}", t.pk)
    return {k: (len(v), frozenset(v)) for k, v in found.items()}, spent
