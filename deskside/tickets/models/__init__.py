from deskside.tickets.models.choices import (
    CloseReason,
    Direction,
    Door,
    Effort,
    EventKind,
    LinkKind,
    MessageKind,
    Milestone,
    Status,
)
from deskside.tickets.models.notification import (
    Delivery,
    FloodAlarm,
    Notification,
    NotificationKind,
    NotificationSetting,
)
from deskside.tickets.models.policy import (
    BusinessCalendar,
    ClosingDate,
    PublicHoliday,
    SeverityLevel,
)
from deskside.tickets.models.ticket import Attachment, Event, Message, Ticket, TicketLink

__all__ = [
    "Attachment",
    "BusinessCalendar",
    "CloseReason",
    "ClosingDate",
    "Delivery",
    "Direction",
    "Door",
    "Effort",
    "Event",
    "EventKind",
    "FloodAlarm",
    "LinkKind",
    "Message",
    "MessageKind",
    "Milestone",
    "Notification",
    "NotificationKind",
    "NotificationSetting",
    "PublicHoliday",
    "SeverityLevel",
    "Status",
    "Ticket",
    "TicketLink",
]
