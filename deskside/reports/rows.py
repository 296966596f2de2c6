"""What the report reads of each ticket, shared by the figures' modules (pure data, no query)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, overload

from deskside.reports.stored import time_of
from deskside.tickets.models import Door

EventRow = tuple[str, datetime, dict[str, Any]]
Mark = tuple[str, dict[str, Any]]  # an event's kind and data, where its time does not matter
Reply = tuple[datetime, int | None]  # when, and the agent who sent it
Sent = dict[int, dict[int, int]]  # per ticket: agent → public replies

# Where a ticket came in, recorded when it was opened (Ticket.door).
DOORS = tuple(Door.values)  # in the order of Door: mail, portal, desk (phone), API


@dataclass(frozen=True)
class Filters:
    level: int | None = None
    organisation: int | None = None
    agent: int | None = None  # tickets the agent is assigned to now or replied to publicly


@dataclass(frozen=True)
class TicketRow:
    pk: int
    subject: str
    claimed: int | None
    level: int | None
    status: str
    close_reason: str
    received: Any  # the time received, as read: a datetime, or read through stored.stored
    door: str  # Ticket.door: "mail", "portal", "desk" or "api"
    assignee: int | None = None

    @cached_property
    def received_at(self) -> datetime:
        """Converted when first asked: a month's report counts tens of thousands of tickets by
        day without it (load.load)."""
        return time_of(self.received)


class Counted(AbstractSet[int]):
    """The tickets behind a figure the rollup counted (deskside/reports/facts.py): their
    number known, the tickets themselves read only when someone goes through them (the
    drill-down list), from the same report read from the tickets."""

    __slots__ = ("_count", "_read")

    def __init__(self, count: int, read: Callable[[], AbstractSet[int]]) -> None:
        self._count = count
        self._read = read

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        return iter(self._read())

    def __contains__(self, ticket: object) -> bool:
        return ticket in self._read()

    def __repr__(self) -> str:
        return f"Counted({self._count})"


class CountedRows(Sequence[TicketRow]):
    """The tickets of a report the rollup counted: as `Counted`, in order of receipt."""

    __slots__ = ("_count", "_read")

    def __init__(self, count: int, read: Callable[[], Sequence[TicketRow]]) -> None:
        self._count = count
        self._read = read

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> TicketRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[TicketRow]: ...
    def __getitem__(self, index: int | slice) -> TicketRow | Sequence[TicketRow]:
        return self._read()[index]

    def __repr__(self) -> str:
        return f"CountedRows({self._count})"
