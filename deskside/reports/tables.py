"""The report's tables as rows, for the CSV exports (deskside/core/csv.py writes them): the same
figures as the page, one file per table, durations in business minutes and times in ISO 8601."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from deskside.reports.figures import LEVELS, Report
from deskside.reports.load import LEVEL_KEYS
from deskside.reports.rows import DOORS
from deskside.tickets.models import CloseReason
from deskside.tickets.models.ticket import format_ref

Table = tuple[Sequence[str], Sequence[Sequence[object]]]

CLOCK_NAMES = {
    "first_response": "First response",
    "next_update": "Next update",
    "goal": "Goal",
    "documentation": "Documentation",
}
REFUSAL_NAMES = {"no": "No severity", "invalid": "Invalid severity", "ambiguous": "Ambiguous"}


def minutes(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds() / 60)


def share(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def clocks(r: Report) -> Table:
    header = ("level", "clock", "met", "breached", "pending", "ended", "met_percent")
    rows = [
        (c.level, c.clock, c.met, c.breached, c.pending, c.ended, share(c.share)) for c in r.clocks
    ]
    return header, rows


def durations(r: Report) -> Table:
    header = ("level", "clock", "tickets", "median_business_minutes", "p90_business_minutes")
    rows = [(d.level, d.clock, d.count, minutes(d.median), minutes(d.p90)) for d in r.durations]
    return header, rows


def breaches(r: Report) -> Table:
    header = ("ticket", "subject", "level", "clock", "due", "met_at")
    rows = [
        (format_ref(b.ticket), b.subject, b.level, b.clock, b.due, b.done_at) for b in r.breaches
    ]
    return header, rows


def refusals(r: Report) -> Table:
    header = ("severity", "closed", "came_back_with_a_level", "new_mail")
    rows = [
        (kind, r.refusals.closed[kind], r.refusals.came_back[kind], r.refusals.new_mail)
        for kind in REFUSAL_NAMES
    ]
    return header, rows


def matrix(r: Report) -> Table:
    header = ("claimed", *(f"assessed_{a}" for a in LEVELS))
    rows = [(c, *(r.matrix[(c, a)] for a in LEVELS)) for c in LEVELS]
    return header, rows


def closes(r: Report) -> Table:
    labels = dict(CloseReason.choices)
    return ("reason", "label", "tickets"), [
        (reason, str(labels[reason]), n) for reason, n in r.closes
    ]


def load(r: Report) -> Table:
    header = ("day", *(f"level_{lv}" for lv in LEVELS), "no_level", "total")
    rows = [(d.day, *(d.by_level[lv] for lv in LEVELS), d.by_level[None], d.total) for d in r.load]
    return header, rows


def agents(r: Report) -> Table:
    header = ("agent", "tickets_handled", "public_replies", "met", "breached", "met_percent")
    rows = [
        (a.name, len(a.handled), a.replies, a.met, a.breached, share(a.share)) for a in r.agents
    ]
    return header, rows


def doors(r: Report) -> Table:
    header = ("day", *DOORS, "total")
    rows = [(d.day, *(d.by_door[door] for door in DOORS), d.total) for d in r.load]
    return header, rows


def backlog(r: Report) -> Table:
    header = ("day", "at", *(f"level_{lv}" for lv in LEVELS), "no_level", "total")
    rows = [(d.day, d.at, *(d.count(lv) for lv in LEVEL_KEYS), d.total) for d in r.backlog]
    return header, rows


def oldest(r: Report) -> Table:
    header = ("ticket", "subject", "level", "status", "received_at")
    rows = [(format_ref(t.pk), t.subject, t.level, t.status, t.received_at) for t in r.oldest]
    return header, rows


COOPERATION_NAMES = {
    "reminders": "Reminders sent",
    "refusals": "Proposed steps refused",
    "client_unavailable": "Closed: client unavailable",
    "client_refused": "Closed: client refused the steps",
    "client_uncooperative": "Closed: client did not cooperate",
}
VISIT_NAMES = {
    "requested": "Requested",
    "refused": "Refused",
    "refused_abroad": "Refused: outside Belgium",
    "done": "Done",
}
DOCUMENTATION_NAMES = {
    "changes_planned": "Changes planned",
    "changes_done": "Changes done",
    "no_change": "No change needed",
}


def cooperation(r: Report) -> Table:
    found = r.protocol.cooperation
    return ("outcome", "count", "tickets"), [
        (key, found[key].count, len(found[key].tickets)) for key in COOPERATION_NAMES
    ]


def visits(r: Report) -> Table:
    found = r.protocol.visits
    rows: list[tuple[object, ...]] = [
        (key, found[key].count, len(found[key].tickets)) for key in VISIT_NAMES
    ]
    rows.append(("time_spent_minutes", minutes(r.protocol.visit_time), None))
    return ("visits", "count", "tickets"), rows


def documentation(r: Report) -> Table:
    found = r.protocol.documentation
    return ("changes", "count", "tickets"), [
        (key, found[key].count, len(found[key].tickets)) for key in DOCUMENTATION_NAMES
    ]


TABLES: dict[str, Callable[[Report], Table]] = {
    "clocks": clocks,
    "durations": durations,
    "breaches": breaches,
    "refusals": refusals,
    "matrix": matrix,
    "closes": closes,
    "load": load,
    "agents": agents,
    "doors": doors,
    "backlog": backlog,
    "oldest": oldest,
    "cooperation": cooperation,
    "visits": visits,
    "documentation": documentation,
}
