"""What each VisitEvent says: the payload of its `data`, by kind, checked by mypy where the
actions write it (deskside/onsite/actions.py). Keys are those stored since the first visit."""

from __future__ import annotations

from typing import TypedDict


class Requested(TypedDict):
    reason: str
    province: str  # the Belgian province of the address


class Refused(TypedDict):
    reason: str
    refusal: str  # a REFUSAL_CHOICES value: why the address does not qualify


class Scheduled(TypedDict):
    """Also a rescheduling: `sequence` is the calendar invitation's, raised on each update."""

    technician: str  # the technician's username
    start: str  # ISO 8601 with offset
    duration: str  # in words, e.g. "2 h"
    sequence: int


class Cancelled(TypedDict):
    reason: str
    sequence: int


class Reported(TypedDict):
    solved: bool
    time_spent: str  # in words, e.g. "1 h 30 min"
