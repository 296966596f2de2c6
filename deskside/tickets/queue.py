"""Which tickets the queue lists and in which order, for every surface (the desk's queue, the
API's ticket list): the filters, the queue's order and its keyset bookmarks.

Pages are keyset pages (the sort key of the last row is the bookmark of the next page), so a page
costs the same at the millionth ticket as at the first. Filtered on a finished status (resolved,
closed), the tickets come newest first instead, from an index of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from deskside.tickets import policy
from deskside.tickets.models import Status, Ticket
from deskside.tickets.models.ticket import NO_DUE_TIME

FINISHED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# "Due soon": the next deadline falls within this much business time.
DUE_SOON = timedelta(hours=2)


class Order(StrEnum):
    """How a list of open tickets is sorted. The protocol's order (effort, then the nearest
    deadline) is the queue's; by arrival, the bookmark is the ticket's number alone."""

    QUEUE = ""
    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True)
class Filters:
    level: int | None = None
    status: str | None = None
    assignee: str | None = None  # "me", "unassigned", or a user id
    organisation: int | None = None
    waiting: bool = False
    breached: bool = False
    soon: bool = False  # the next deadline is within DUE_SOON business time, not yet passed
    order: Order = Order.QUEUE

    def active(self) -> bool:
        return self != Filters()

    def finished(self) -> bool:
        """Whether these filters list resolved or closed tickets rather than the open queue."""
        return self.status in FINISHED_STATUSES


@dataclass(frozen=True)
class Bookmark:
    """Where a page starts: just after the ticket with this sort key."""

    effort_rank: int
    nearest_due: datetime | None
    ticket_id: int

    def encode(self) -> str:
        due = "-" if self.nearest_due is None else str(_micros(self.nearest_due))
        return f"{self.effort_rank}.{due}.{self.ticket_id}"

    @classmethod
    def decode(cls, text: str) -> Bookmark | None:
        try:
            rank, due, pk = text.split(".")
            return cls(int(rank), None if due == "-" else _from_micros(int(due)), int(pk))
        except (ValueError, OverflowError):
            return None

    @classmethod
    def of(cls, ticket: Ticket) -> Bookmark:
        return cls(ticket.effort_rank, ticket.nearest_due, ticket.pk)


# The queue's order, as the index `ticket_queue` holds it (after in_queue).
QUEUE_ORDER = ("effort_rank", NO_DUE_TIME.asc(), "nearest_due", "id")


def open_tickets(filters: Filters, user: User, now: datetime) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(in_queue=True)
    if filters.level is not None:
        tickets = tickets.filter(severity=filters.level)
    return _filter(tickets, filters, user, now)


def _filter(
    tickets: QuerySet[Ticket], filters: Filters, user: User, now: datetime
) -> QuerySet[Ticket]:
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.waiting:
        tickets = tickets.filter(status=Status.WAITING_ON_CLIENT)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "unassigned":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.organisation is not None:
        tickets = tickets.filter(organisation_id=filters.organisation)
    if filters.breached:
        tickets = tickets.filter(nearest_due__lt=now)
    if filters.soon:
        limit = policy.calendar().add(now, DUE_SOON)
        tickets = tickets.filter(nearest_due__gte=now, nearest_due__lte=limit)
    return tickets


def finished_tickets(filters: Filters, user: User, now: datetime) -> QuerySet[Ticket]:
    """Resolved or closed tickets under the filters: the index `ticket_finished` holds them
    (its condition, `in_queue = false`, is repeated so that SQLite uses it)."""
    tickets = Ticket.objects.filter(in_queue=False)
    if filters.level is not None:
        tickets = tickets.filter(severity=filters.level)
    return _filter(tickets, filters, user, now)


def after_bookmark(mark: Bookmark) -> Q:
    """Rows that sort after `mark` in (effort_rank, nearest_due nulls last, id).

    The leading `effort_rank >= rank` lets the database start its index walk at the mark."""
    later_rank = Q(effort_rank__gt=mark.effort_rank)
    same_rank = Q(effort_rank=mark.effort_rank)
    if mark.nearest_due is None:
        after = later_rank | (same_rank & Q(nearest_due__isnull=True, id__gt=mark.ticket_id))
    else:
        after = later_rank | (
            same_rank
            & (
                Q(nearest_due__gt=mark.nearest_due)
                | Q(nearest_due=mark.nearest_due, id__gt=mark.ticket_id)
                | Q(nearest_due__isnull=True)
            )
        )
    return Q(effort_rank__gte=mark.effort_rank) & after


def _micros(t: datetime) -> int:
    return int((t - _EPOCH) / timedelta(microseconds=1))


def _from_micros(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
