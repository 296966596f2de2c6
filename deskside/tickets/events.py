"""What each kind of Event stores in its `data`: one TypedDict per EventKind.

The actions write these through `record()`, whose overloads (deskside/tickets/actions/_record.py)
tie each kind to its payload, so mypy checks every key and type at the call site. The keys are
the ones stored since the first rows, so old rows read the same; a key added later is
NotRequired, and readers use `.get()` on it.

One key needs its kind to be read: `was` is what the ticket was before the change, which is a
status (RESOLVED, RESUMED), a close reason or a status (REOPENED) or a level (REASSESSED).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict, cast

from deskside.tickets.models import EventKind


class Created(TypedDict):
    severity: int | None  # None: the subject had no usable level (a CLOSED event follows)
    subject: str
    note: NotRequired[str]  # where the ticket came from, e.g. a quarantined mail


class CloseNotes(TypedDict, total=False):
    """What a close may add to its reason."""

    note: str  # the agent's, for the history
    waiting_since: str  # ISO time: the cooperation sweep's close, silent since then


class Closed(CloseNotes):
    reason: str  # a CloseReason


class Reopened(TypedDict):
    reason: str  # why, in words
    was: str  # the close reason it had, or the status (resolved) when it had none
    severity: int


class Resolved(TypedDict):
    was: str  # the Status it left
    message: int  # the resolution's Message


class StatusChanged(TypedDict):
    """Never written by Deskside; the kind stays for rows an import may hold."""


class Assigned(TypedDict):
    to: str | None  # the assignee's username; None: unassigned


class Reassessed(TypedDict):
    was: int | None  # the level before; None when the ticket had none
    level: int
    reason: str


class MilestoneReached(TypedDict):
    milestone: str  # a Milestone


class MessageMarks(TypedDict, total=False):
    """What a message means beyond its words."""

    steps_worked: bool  # the client says the proposed steps worked


class MessageAdded(MessageMarks):
    message_kind: str  # a MessageKind
    message: int


class Waiting(TypedDict):
    note: str
    proposal: NotRequired[int]  # the proposed steps the wait is for


class Resumed(TypedDict):
    was: str  # the Status it left: waiting on the client, or resolved


class ClockAlert(TypedDict):
    """CLOCK_WARNING (75% of the time gone) and CLOCK_BREACH (due time passed)."""

    clock: str  # a core.clocks.Clock
    due: str  # ISO time, with its offset


class Reminder(TypedDict):
    number: int  # 1 or 2
    waiting_since: str  # ISO time
    message: int


class Refused(TypedDict):
    reason: str
    source: str  # a RefusalSource: "portal" or "mail"
    message: int  # the refusal: the portal's message, or the client's mail an agent marked


class Escalated(TypedDict):
    level: int | None
    why: str  # "new ticket", "reopened", "reassessed from level 3"
    to: str  # the group alerted


class Linked(TypedDict, total=False):
    """One of these, on each of the two tickets."""

    follows: str  # the ref of the closed ticket this one follows
    followed_by: str  # the ref of the new ticket that follows this one
    merged_into: str  # the ref of the ticket this duplicate was merged into
    merged_from: str  # the ref of a duplicate merged into this one
    related_to: str  # the ref of a ticket an agent linked this one to
    unrelated_to: str  # the ref of a ticket an agent unlinked this one from
    # merged_into: whether the mail to the duplicate's client named the target (they may see it)
    named: bool


class HeldMail(TypedDict):
    note: str  # what was decided, in words
    mail: int  # the InboundMail
    message: NotRequired[int]  # the note it was filed as


Payload = (
    Created
    | Closed
    | Reopened
    | Resolved
    | StatusChanged
    | Assigned
    | Reassessed
    | MilestoneReached
    | MessageAdded
    | Waiting
    | Resumed
    | ClockAlert
    | Reminder
    | Refused
    | Escalated
    | Linked
    | HeldMail
)

# The payload of each kind, for what reads them all (the history's sentences, the tests).
PAYLOADS: dict[EventKind, type[Payload]] = {
    EventKind.CREATED: Created,
    EventKind.CLOSED: Closed,
    EventKind.REOPENED: Reopened,
    EventKind.RESOLVED: Resolved,
    EventKind.STATUS: StatusChanged,
    EventKind.ASSIGNED: Assigned,
    EventKind.REASSESSED: Reassessed,
    EventKind.MILESTONE: MilestoneReached,
    EventKind.MESSAGE: MessageAdded,
    EventKind.WAITING: Waiting,
    EventKind.RESUMED: Resumed,
    EventKind.CLOCK_WARNING: ClockAlert,
    EventKind.CLOCK_BREACH: ClockAlert,
    EventKind.REMINDER: Reminder,
    EventKind.REFUSED: Refused,
    EventKind.ESCALATED: Escalated,
    EventKind.LINKED: Linked,
    EventKind.HELD_MAIL: HeldMail,
}


def read[P: Payload](data: object, shape: type[P]) -> P:
    """A stored `data` as the payload of its kind, for the caller who checked the kind. The JSON
    is not validated: a row may predate a key, so read keys that are not always written with
    `.get()`."""
    return cast(P, data if isinstance(data, dict) else {})
