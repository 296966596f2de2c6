"""The protocol's own outcomes, in pure Python: how cooperation ended (reminders, refusals,
closes for want of the client), on-site visits, and level-4 documentation changes, for the
tickets received in the period (docs/reports.md, The protocol itself).

Each figure keeps the tickets behind it, so that the page can list them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from deskside.core.levels import LEVELS
from deskside.core.postal import Refusal
from deskside.core.severity import Result, read_severity
from deskside.docs.models import ChangeKind, ChangeStatus
from deskside.onsite.models import VisitStatus
from deskside.reports.rows import Mark, TicketRow
from deskside.tickets.closed import WITHOUT_LEVEL
from deskside.tickets.models import CloseReason, EventKind, Status

COOPERATION_CLOSES = (
    CloseReason.CLIENT_UNAVAILABLE,
    CloseReason.CLIENT_REFUSED,
    CloseReason.CLIENT_UNCOOPERATIVE,
)
# Refused because the address is not in Belgium (a missing or unreadable address is the other
# reason a visit is refused).
ABROAD = (Refusal.NOT_BELGIUM, Refusal.BAD_COUNTRY)

VisitRow = tuple[int, str, str, timedelta | None]  # ticket, status, refusal, time spent
ChangeRow = tuple[int, str, str, datetime | None]  # ticket, kind, status, done at


@dataclass(frozen=True)
class Tally:
    """A count (of events, visits or changes) and the tickets behind it."""

    count: int
    tickets: AbstractSet[int]


@dataclass(frozen=True)
class Protocol:
    cooperation: dict[str, Tally]  # "reminders", "refusals", then the close reasons
    visits: dict[str, Tally]  # "requested", "refused", "refused_abroad", "done"
    visit_time: timedelta  # time spent on the visits done
    documentation: dict[str, Tally]  # "changes_planned", "changes_done", "no_change"


def protocol(
    tickets: list[TicketRow],
    events: dict[int, list[Mark]],
    visits: list[VisitRow],
    changes: list[ChangeRow],
) -> Protocol:
    wanted = {t.pk for t in tickets}
    return protocol_with(
        cooperation(tickets, events),
        [v for v in visits if v[0] in wanted],
        [c for c in changes if c[0] in wanted],
    )


def protocol_with(
    cooperation: dict[str, Tally], visits: list[VisitRow], changes: list[ChangeRow]
) -> Protocol:
    """With the cooperation counted (from the events, or the rollup's facts), the visits and
    changes of the tickets counted."""
    done = [v for v in visits if v[1] == VisitStatus.DONE]
    return Protocol(
        cooperation=cooperation,
        visits=visit_figures(visits),
        visit_time=sum((v[3] for v in done if v[3] is not None), timedelta(0)),
        documentation=documentation(changes),
    )


def cooperation(tickets: list[TicketRow], events: dict[int, list[Mark]]) -> dict[str, Tally]:
    found: dict[str, list[int]] = defaultdict(list)
    for t in tickets:
        for kind, _data in events.get(t.pk, []):
            if kind == EventKind.REMINDER:
                found["reminders"].append(t.pk)
            elif kind == EventKind.REFUSED:
                found["refusals"].append(t.pk)
        if t.status == Status.CLOSED and t.close_reason in COOPERATION_CLOSES:
            found[t.close_reason].append(t.pk)
    return _tallies(found, ("reminders", "refusals", *COOPERATION_CLOSES))


def visit_figures(visits: list[VisitRow]) -> dict[str, Tally]:
    found: dict[str, list[int]] = defaultdict(list)
    for ticket, status, refusal, _spent in visits:
        found["requested"].append(ticket)
        if status == VisitStatus.REFUSED:
            found["refused"].append(ticket)
            if refusal in ABROAD:
                found["refused_abroad"].append(ticket)
        elif status == VisitStatus.DONE:
            found["done"].append(ticket)
    return _tallies(found, ("requested", "refused", "refused_abroad", "done"))


def documentation(changes: list[ChangeRow]) -> dict[str, Tally]:
    found: dict[str, list[int]] = defaultdict(list)
    for ticket, kind, status, _done_at in changes:
        if kind == ChangeKind.NO_CHANGE:
            found["no_change"].append(ticket)
        else:
            done = status == ChangeStatus.DONE
            found["changes_done" if done else "changes_planned"].append(ticket)
    return _tallies(found, ("changes_planned", "changes_done", "no_change"))


def _tallies(found: dict[str, list[int]], keys: Iterable[str]) -> dict[str, Tally]:
    return {key: Tally(len(found[key]), frozenset(found[key])) for key in keys}


@dataclass(frozen=True)
class Refusals:
    """New mail closed for want of a usable level, and how much of it came back with one."""

    new_mail: int
    closed: dict[str, int]  # "no" | "invalid" | "ambiguous" → tickets
    came_back: dict[str, int]
    # "new_mail", "closed:no", "back:no"...
    behind: Mapping[str, AbstractSet[int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.closed.values())

    @property
    def share(self) -> float | None:
        return self.total / self.new_mail if self.new_mail else None


def refusals(tickets: list[TicketRow], events: dict[int, list[Mark]]) -> Refusals:
    """Closed at once for no, an invalid or an ambiguous level (the level filter does not
    apply: these tickets had none)."""
    behind: dict[str, set[int]] = defaultdict(set)
    for ticket in tickets:
        if ticket.door != "mail":
            continue
        behind["new_mail"].add(ticket.pk)
        why = refused_for(ticket, events.get(ticket.pk, []))
        if why is None:
            continue
        behind[f"closed:{why}"].add(ticket.pk)
        if came_back(events.get(ticket.pk, [])):
            behind[f"back:{why}"].add(ticket.pk)
    return Refusals(
        len(behind["new_mail"]),
        {k: len(behind[f"closed:{k}"]) for k in REFUSED},
        {k: len(behind[f"back:{k}"]) for k in REFUSED},
        {key: frozenset(pks) for key, pks in behind.items()},
    )


REFUSED = ("no", "invalid", "ambiguous")  # why new mail was closed for its level


def came_back(events: list[Mark]) -> bool:
    """Whether a reply gave a level to the ticket after it was closed for want of one."""
    return any(k == EventKind.REOPENED and d.get("was") in WITHOUT_LEVEL for k, d in events)


def refused_for(ticket: TicketRow, events: list[Mark]) -> str | None:
    """Why the new mail was closed for its level, from the first close, if it was."""
    first_close = next((d.get("reason") for k, d in events if k == EventKind.CLOSED), None)
    if first_close == CloseReason.NO_SEVERITY:
        return "no"
    if first_close == CloseReason.INVALID_SEVERITY:
        # One close reason for invalid and ambiguous: the subject, kept as given, tells which.
        return (
            "ambiguous" if read_severity(ticket.subject).result == Result.AMBIGUOUS else "invalid"
        )
    return None


def matrix(tickets: list[TicketRow]) -> dict[tuple[int, int], int]:
    """Claimed level × assessed level, for tickets that have both."""
    counted = Counter(
        (t.claimed, t.level) for t in tickets if t.claimed is not None and t.level is not None
    )
    return {(c, a): counted[(c, a)] for c in LEVELS for a in LEVELS}


def closes(tickets: list[TicketRow]) -> list[tuple[str, int]]:
    """Closed tickets by their reason, in the protocol's order of reasons."""
    counted = Counter(t.close_reason for t in tickets if t.status == Status.CLOSED)
    return [(reason, counted[reason]) for reason in CloseReason.values]
