"""What the report reads of each ticket, shared by the figures' modules (pure data, no query)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deskside.tickets.models import MessageKind

EventRow = tuple[str, datetime, dict[str, Any]]
Reply = tuple[datetime, int | None]  # when, and the agent who sent it

# Where a ticket came in, from its first message: a mail, the portal's form, or an agent who
# typed it in at the desk (a phone call). The API, once it exists, gets its own door.
DOORS = ("mail", "portal", "desk", "api")


def door_of(first_kind: str) -> str:
    if first_kind == MessageKind.MAIL:
        return "mail"
    if first_kind == MessageKind.WEB:
        return "portal"
    return "desk"


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
    received_at: datetime
    door: str  # the first message's kind: "mail", "web", ...
    assignee: int | None = None
