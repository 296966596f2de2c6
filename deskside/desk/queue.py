"""The agents' queue: open tickets by effort, then by the nearest due time; filters and pages.

Pages are keyset pages (the sort key of the last row is the bookmark of the next page), so a page
costs the same at the millionth ticket as at the first, and no page counts all rows. Filtered on
a finished status (resolved, closed), the queue lists those tickets newest first instead, from an
index of its own, and counts nothing: at a million tickets nearly all are closed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, OuterRef, Window
from django.urls import reverse

from deskside.core.business_time import Calendar
from deskside.core.clocks import WARN_FRACTION, Clock, Targets
from deskside.core.levels import ESCALATED_LEVELS, LEVELS
from deskside.desk.models import Draft
from deskside.tickets import policy
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import format_ref

# The filters, the order and the bookmarks are the API's too (deskside/tickets/queue.py).
from deskside.tickets.queue import (
    QUEUE_ORDER,
    Bookmark,
    Filters,
    Order,
    after_bookmark,
    finished_tickets,
    open_tickets,
)

PAGE_SIZE = 50
UNTAKEN_SHOWN = 20  # refs named in the queue's banner; more are counted
WARN_LEFT = 1 - WARN_FRACTION  # a clock is marked at 75% used: 25% of its target left


@dataclass(frozen=True)
class ClockLeft:
    """The nearest clock of a row: which one, when, and the business time left."""

    name: str
    due: datetime
    left: timedelta
    mark: str  # "", "due-warn" or "due-breach"


@dataclass(frozen=True)
class Row:
    ticket: Ticket
    clock: ClockLeft | None
    url: str  # the ticket page
    organisation_url: str  # the page of the ticket's organisation, if it has one
    draft: bool = False  # the reader has an unsent draft on it (deskside.desk.drafts)

    @property
    def escalated(self) -> bool:
        """A level-1 or level-2 ticket nobody has taken: highlighted until someone does."""
        return is_untaken_urgent(self.ticket)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    next: Bookmark | None


# What a row shows (and the bookmark reads): every other column left unread saves PostgreSQL's
# driver a dozen timestamps a row, which it parses in Python.
ROW_RELATED = ("contact", "organisation", "assignee")
ROW_FIELDS = (
    *("subject", "claimed_severity", "severity", "status", "clocks_paused", "effort_rank"),
    *("nearest_due", *(clock.due_field for clock in Clock)),
    *("contact__name", "contact__email", "organisation__name"),
    *("assignee__username", "assignee__first_name", "assignee__last_name"),
)


def page(filters: Filters, user: User, now: datetime, after: Bookmark | None) -> Page:
    """One page of the queue (one query: PAGE_SIZE + 1 rows tell whether a next page exists).

    The page's ids are chosen in a subquery and only those rows joined to their contact,
    organisation and assignee: joined first, PostgreSQL hashes every contact (20,000 at the
    bench's million tickets, 10 ms) before it sorts and keeps 51 rows. A finished list is in
    the order of ids, newest first; its bookmark's id alone says where the next page starts."""
    if filters.finished() or filters.order == Order.NEWEST:
        tickets = (finished_tickets if filters.finished() else open_tickets)(filters, user, now)
        if after is not None:
            tickets = tickets.filter(id__lt=after.ticket_id)
        order: tuple[Any, ...] = ("-id",)
    elif filters.order == Order.OLDEST:
        tickets = open_tickets(filters, user, now)
        if after is not None:
            tickets = tickets.filter(id__gt=after.ticket_id)
        order = ("id",)
    else:
        tickets = open_tickets(filters, user, now)
        if after is not None:
            tickets = tickets.filter(after_bookmark(after))
        order = QUEUE_ORDER
    chosen = tickets.order_by(*order).values("pk")[: PAGE_SIZE + 1]
    ordered = Ticket.objects.filter(pk__in=chosen).order_by(*order)
    # Whether the reader has a draft on the row: in the same query (the queue's tenth would
    # pass its budget), 51 probes of the drafts' unique index.
    drafted = Exists(Draft.objects.filter(user=user, ticket=OuterRef("pk")))
    found = list(ordered.select_related(*ROW_RELATED).only(*ROW_FIELDS).annotate(has_draft=drafted))
    shown = found[:PAGE_SIZE]
    rows = rows_for(shown, now, {t.pk for t in shown if getattr(t, "has_draft", False)})
    more = len(found) > PAGE_SIZE
    return Page(rows=rows, next=Bookmark.of(shown[-1]) if more else None)


def is_untaken_urgent(ticket: Ticket) -> bool:
    return ticket.is_open() and ticket.severity in ESCALATED_LEVELS and ticket.assignee_id is None


def untaken_urgent() -> tuple[list[str], int]:
    """The open level-1 and level-2 tickets nobody has taken, most urgent first (the queue's
    order): the references of the first UNTAKEN_SHOWN, and how many more there are. One query
    over one of the queue's indexes: the count is a window over the same rows."""
    untaken = Ticket.objects.filter(
        in_queue=True, severity__in=ESCALATED_LEVELS, assignee__isnull=True
    ).annotate(total=Window(Count("pk")))
    found = list(untaken.order_by(*QUEUE_ORDER).values_list("pk", "total")[:UNTAKEN_SHOWN])
    total = found[0][1] if found else 0
    return [format_ref(pk) for pk, _total in found], total - len(found)


def level_counts(filters: Filters, user: User, now: datetime) -> dict[int | None, int]:
    """Open tickets per assessed level under the other filters, in one aggregate query (none
    for a finished list: counting closed tickets would read most of the table)."""
    if filters.finished():
        return {}
    tickets = open_tickets(Filters(**{**filters.__dict__, "level": None}), user, now)
    # COUNT(*), not COUNT(id): an index alone answers it (PostgreSQL: an index-only scan). The
    # list of levels, always true of an open ticket, lets a status filter use the index on
    # (severity, status): four short ranges rather than every open ticket's entry.
    counted = (
        tickets.filter(severity__in=LEVELS)
        .order_by()
        .values_list("severity")
        .annotate(n=Count("*"))
    )
    return {level: n for level, n in counted}


def rows_for(tickets: Iterable[Ticket], now: datetime, drafted: Collection[int] = ()) -> list[Row]:
    """The rows of these tickets; `drafted`, the ids of those the reader has a draft on."""
    calendar, targets = policy.calendar(), policy.targets()
    return [
        Row(
            ticket,
            nearest_clock(ticket, now, calendar, targets),
            url=reverse("desk:ticket", args=[ticket.ref]),
            organisation_url=reverse("desk:organisation", args=[ticket.organisation_id])
            if ticket.organisation_id
            else "",
            draft=ticket.pk in drafted,
        )
        for ticket in tickets
    ]


def nearest_clock(
    ticket: Ticket, now: datetime, calendar: Calendar, targets: Mapping[int, Targets]
) -> ClockLeft | None:
    """The clock that falls due first, with the business time left on it."""
    if ticket.nearest_due is None:
        return None
    return next(
        (c for c in clocks_of(ticket, now, calendar, targets) if c.due == ticket.nearest_due), None
    )


def clocks_of(
    ticket: Ticket, now: datetime, calendar: Calendar, targets: Mapping[int, Targets]
) -> list[ClockLeft]:
    """Each running clock of the ticket, with the business time left on it.

    Marked `due-warn` when at most 25% of its target is left. A clock of target T that started
    at s is due at s + T in business time, pauses included, so this is exactly the protocol's
    "75% used" without reading the clock's start from the history.
    """
    level = targets.get(ticket.severity) if ticket.severity is not None else None
    found = []
    for clock in Clock:
        due = getattr(ticket, clock.due_field)
        if due is None:
            continue
        left = calendar.between(now, due)
        target = getattr(level, clock.value, None) if level else None
        mark = ""
        if due <= now:
            mark = "due-breach"
        elif target is not None and left <= target * WARN_LEFT:
            mark = "due-warn"
        found.append(ClockLeft(name=clock.words.capitalize(), due=due, left=left, mark=mark))
    return found
