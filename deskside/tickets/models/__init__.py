from deskside.tickets.models.choices import (
    CloseReason,
    Direction,
    Effort,
    EventKind,
    MessageKind,
    Milestone,
    Status,
)
from deskside.tickets.models.policy import (
    BusinessCalendar,
    ClosingDate,
    PublicHoliday,
    SeverityLevel,
)
from deskside.tickets.models.ticket import Attachment, Event, Message, Ticket

__all__ = [
    "Attachment",
    "BusinessCalendar",
    "CloseReason",
    "ClosingDate",
    "Direction",
    "Effort",
    "Event",
    "EventKind",
    "Message",
    "MessageKind",
    "Milestone",
    "PublicHoliday",
    "SeverityLevel",
    "Status",
    "Ticket",
]
