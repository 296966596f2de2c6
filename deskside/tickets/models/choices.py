"""The protocol's vocabularies (docs/protocol.md), as enums shared by every app."""

from django.db import models


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    WAITING_ON_CLIENT = "waiting_on_client", "Waiting on client"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class CloseReason(models.TextChoices):
    # client_refused, client_uncooperative and client_unavailable need evidence on the ticket
    # (deskside/tickets/evidence.py); the actions refuse them without it.
    SOLVED = "solved", "Solved"
    ANSWERED = "answered", "Answered (level 4)"
    NO_SEVERITY = "no_severity", "No severity in the subject"
    INVALID_SEVERITY = "invalid_severity", "Invalid or ambiguous severity"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope"
    CLIENT_UNAVAILABLE = "client_unavailable", "Client unavailable"
    CLIENT_REFUSED = "client_refused", "Client refused the proposed steps"
    CLIENT_UNCOOPERATIVE = "client_uncooperative", "Client did not cooperate"
    DUPLICATE = "duplicate", "Duplicate of another ticket"
    WITHDRAWN = "withdrawn", "Withdrawn by the client"


class Effort(models.TextChoices):
    MAXIMUM = "maximum", "Maximum"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


EFFORT_RANK = {Effort.MAXIMUM: 0, Effort.MEDIUM: 1, Effort.LOW: 2}
NO_EFFORT_RANK = 9  # tickets without a level sort last in the queue


class Milestone(models.TextChoices):
    SOLUTION = "solution", "Solution"
    TEMPORARY_SOLUTION = "temporary_solution", "Temporary solution"
    WORKAROUND = "workaround", "Workaround"
    ANSWER = "answer", "Answer"


class Direction(models.TextChoices):
    INBOUND = "inbound", "From the client"
    OUTBOUND = "outbound", "To the client"
    INTERNAL = "internal", "Internal note"
    SYSTEM = "system", "System"


class MessageKind(models.TextChoices):
    MAIL = "mail", "Mail"
    WEB = "web", "Portal"
    # The client's words typed in by an agent at the desk (a phone call): the reports' door
    # "Desk (phone)". A choice only: Message.kind's column takes it without a schema change.
    PHONE = "phone", "Phone call"
    REPLY = "reply", "Agent reply"
    NOTE = "note", "Note"
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    PROTOCOL = "protocol", "Protocol explanation"
    AUTO_REPLY = "auto_reply", "Out-of-office reply"
    BOUNCE = "bounce", "Delivery failure"
    NOTICE = "notice", "Notice"
    PROPOSAL = "proposal", "Proposed steps"
    REMINDER = "reminder", "Reminder"
    REFUSAL = "refusal", "Refusal of the proposed steps"
    CLOSURE = "closure", "Closing notice"
    RESOLUTION = "resolution", "Resolution"


# What an agent sends the client that answers them: it meets the first-response clock, restarts
# the update clock, and is the "public reply" a resolve needs first.
PUBLIC_REPLY_KINDS = (MessageKind.REPLY, MessageKind.PROPOSAL, MessageKind.RESOLUTION)


def is_public_reply(direction: str, kind: str) -> bool:
    """An agent's answer to the client, which the clocks count."""
    return direction == Direction.OUTBOUND and kind in PUBLIC_REPLY_KINDS


class Door(models.TextChoices):
    """Where a ticket came in, recorded when it is opened (the reports' load by door)."""

    MAIL = "mail", "Mail"  # a mail to the support address, by any of the three mail doors
    PORTAL = "portal", "Portal"
    DESK = "desk", "Desk (phone)"  # an agent typed the client's words in at the desk
    API = "api", "API"  # a system of the client's, or one of its monitoring alerts


def door_for(first_kind: str) -> Door:
    """The door of a ticket opened by a person, from its first message's kind."""
    if first_kind == MessageKind.MAIL:
        return Door.MAIL
    if first_kind == MessageKind.WEB:
        return Door.PORTAL
    return Door.DESK


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    RESOLVED = "resolved", "Resolved"
    STATUS = "status", "Status changed"
    ASSIGNED = "assigned", "Assigned"
    REASSESSED = "reassessed", "Severity reassessed"
    MILESTONE = "milestone", "Milestone recorded"
    MESSAGE = "message", "Message added"
    WAITING = "waiting", "Waiting on client"
    RESUMED = "resumed", "Client answered"
    CLOCK_WARNING = "clock_warning", "Clock at 75%"
    CLOCK_BREACH = "clock_breach", "Clock breached"
    REMINDER = "reminder", "Reminder sent"
    REFUSED = "refused", "Client refused the proposed steps"
    ESCALATED = "escalated", "Escalated to the agents on duty"
    LINKED = "linked", "Linked to another ticket"
    HELD_MAIL = "held_mail", "Held mail decided"


class LinkKind(models.TextChoices):
    # A client wrote to a ticket closed too long ago to reopen: a new ticket follows it.
    FOLLOW_UP = "follow_up", "Follows"
    # An agent merged a duplicate (source, closed as duplicate) into the ticket it repeats.
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    # An agent linked two tickets about related problems; one row, shown on both.
    RELATED = "related", "Related to"
