"""Every change to a ticket goes through one of these functions, grouped by intent: opening,
messages (the conversation), state, alerts, cooperation, and merging and linking tickets.

Each action checks that the change is allowed by the protocol's state machine, writes the
change and its Event in one transaction, recomputes the clocks, and queues what must follow.
A refused change raises ActionError with a stable code and a translatable sentence for the
person who asked (deskside/tickets/errors.py).

One convention: every action takes `by`, the Actor who makes the change (the actions Deskside
itself takes default to SYSTEM), and returns the updated ticket, which the caller keeps: the
object passed in, brought up to date with the row as the action left it. When the action wrote
a message (a reply, the client's mail), it is the ticket's `posted`.
"""

from deskside.core.errors import ErrorCode
from deskside.tickets.actions._base import (
    SYSTEM,
    Actor,
    NewFile,
    NewMessage,
    check_level,
    conversation,
    filed,
)
from deskside.tickets.actions.alerts import record_clock_alerts
from deskside.tickets.actions.cooperation import (
    propose_steps,
    record_refusal,
    record_steps_worked,
    remind_or_close,
)
from deskside.tickets.actions.merging import link, merge, unlink
from deskside.tickets.actions.messages import (
    add_note,
    add_system_message,
    file_held_mail_as_note,
    mentions,
    receive_from_client,
    record_held_mail,
    reopen_by_client,
    reply,
)
from deskside.tickets.actions.opening import open_ticket
from deskside.tickets.actions.state import (
    assign,
    close,
    reassess,
    record_milestone,
    reopen,
    resolve,
    wait_on_client,
)
from deskside.tickets.errors import ActionError

__all__ = [
    "SYSTEM",
    "ActionError",
    "Actor",
    "ErrorCode",
    "NewFile",
    "NewMessage",
    "add_note",
    "add_system_message",
    "assign",
    "check_level",
    "close",
    "conversation",
    "file_held_mail_as_note",
    "filed",
    "link",
    "mentions",
    "merge",
    "open_ticket",
    "propose_steps",
    "reassess",
    "receive_from_client",
    "record_clock_alerts",
    "record_held_mail",
    "record_milestone",
    "record_refusal",
    "record_steps_worked",
    "remind_or_close",
    "reopen",
    "reopen_by_client",
    "reply",
    "resolve",
    "unlink",
    "wait_on_client",
]
