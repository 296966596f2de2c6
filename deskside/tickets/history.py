"""The history in words: `sentence(event)` says what one Event recorded, as a plain sentence
("First response was due Fri 4 Dec 14:10", "Proposed steps", "Assigned to Anna").

Read from the kind's typed payload (deskside/tickets/events.py). Rows are never rewritten, so
each sentence copes with a key an old row lacks. In English: the desk is English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from django.contrib.auth.models import User
from django.db import models
from django.utils import dateformat, timezone

from deskside.accounts.names import display_name
from deskside.core.clocks import Clock
from deskside.core.cooperation import RefusalSource
from deskside.tickets import events as ev
from deskside.tickets.models import CloseReason, Event, EventKind, MessageKind, Milestone, Status

# Who is who by user name: ASSIGNED stores the assignee's user name, the history shows a name.
Names = Mapping[str, str]


def sentence(event: Event, names: Names | None = None) -> str:
    """What `event` recorded, in one sentence. `names`: display names by user name, from
    `names_for` (without it an assignee shows by user name)."""
    say = _SENTENCES.get(event.kind)
    return say(event.data, names or {}) if say else str(event.get_kind_display())


def names_for(events: Iterable[Event]) -> dict[str, str]:
    """The display names of the users the events assigned, in one query."""
    usernames = {
        to
        for e in events
        if e.kind == EventKind.ASSIGNED and (to := ev.read(e.data, ev.Assigned).get("to"))
    }
    return {u.get_username(): display_name(u) for u in User.objects.filter(username__in=usernames)}


def lines(events: Iterable[Event]) -> list[tuple[Event, str]]:
    """Each event with its sentence: the desk's history."""
    listed = list(events)
    names = names_for(listed)
    return [(e, sentence(e, names)) for e in listed]


# -- one sentence per kind --------------------------------------------------------------------


def _created(data: object, _names: Names) -> str:
    created = ev.read(data, ev.Created)
    level = created.get("severity")
    said = f"Opened at level {level}" if level else "Opened without a level"
    return _with(said, created.get("note"))


def _closed(data: object, _names: Names) -> str:
    closed = ev.read(data, ev.Closed)
    return _with(f"Closed ({_label(CloseReason, closed.get('reason'))})", closed.get("note"))


def _reopened(data: object, _names: Names) -> str:
    reopened = ev.read(data, ev.Reopened)
    was = reopened.get("was", "")
    before = (
        f"it was closed: {_label(CloseReason, was)}"
        if was in CloseReason.values
        else f"it was {_label(Status, was).lower()}"
    )
    said = f"Reopened at level {reopened.get('severity')} ({before})"
    return _with(said, reopened.get("reason"))


def _resolved(_data: object, _names: Names) -> str:
    return "Resolved"


def _status(_data: object, _names: Names) -> str:
    return "Status changed"


def _assigned(data: object, names: Names) -> str:
    to = ev.read(data, ev.Assigned).get("to")
    return f"Assigned to {names.get(to, to)}" if to else "Unassigned"


def _reassessed(data: object, _names: Names) -> str:
    reassessed = ev.read(data, ev.Reassessed)
    was, level = reassessed.get("was"), reassessed.get("level")
    said = f"Reassessed from level {was} to level {level}" if was else f"Level set to {level}"
    return _with(said, reassessed.get("reason"))


def _milestone(data: object, _names: Names) -> str:
    return f"Milestone: {_label(Milestone, ev.read(data, ev.MilestoneReached).get('milestone'))}"


# What a message is, as the history says it; a kind missing here shows its label.
_MESSAGES: dict[str, str] = {
    MessageKind.MAIL: "Mail from the client",
    MessageKind.WEB: "Message from the client in the portal",
    MessageKind.PHONE: "The client's call, typed in at the desk",
    MessageKind.REPLY: "Replied to the client",
    MessageKind.NOTE: "Internal note",
    MessageKind.ACKNOWLEDGEMENT: "Acknowledgement sent",
    MessageKind.PROTOCOL: "Protocol explanation sent",
    MessageKind.AUTO_REPLY: "Out-of-office reply received",
    MessageKind.BOUNCE: "Delivery failure received",
    MessageKind.NOTICE: "Notice",
    MessageKind.PROPOSAL: "Proposed steps",
    MessageKind.REMINDER: "Reminder mailed",
    MessageKind.REFUSAL: "The client refused the proposed steps in the portal",
    MessageKind.CLOSURE: "Closing notice sent",
    MessageKind.RESOLUTION: "Resolution sent",
}


def _message(data: object, _names: Names) -> str:
    message = ev.read(data, ev.MessageAdded)
    if message.get("steps_worked"):
        return "The client says the steps worked"
    kind = message.get("message_kind", "")
    return _MESSAGES.get(kind) or _label(MessageKind, kind) or "Message"


def _waiting(data: object, _names: Names) -> str:
    return _with("Waiting on the client", ev.read(data, ev.Waiting).get("note"))


def _resumed(data: object, _names: Names) -> str:
    was = ev.read(data, ev.Resumed).get("was")
    if was == Status.RESOLVED:
        return "The client answered; the resolved ticket is open again"
    return "The client answered; the clocks run again"


def _clock_warning(data: object, _names: Names) -> str:
    alert = ev.read(data, ev.ClockAlert)
    return f"{_clock(alert.get('clock'))} at 75%: due {_when(alert.get('due'))}"


def _clock_breach(data: object, _names: Names) -> str:
    alert = ev.read(data, ev.ClockAlert)
    return f"{_clock(alert.get('clock'))} was due {_when(alert.get('due'))}"


def _reminder(data: object, _names: Names) -> str:
    reminder = ev.read(data, ev.Reminder)
    number = reminder.get("number")
    said = f"Reminder {number} sent" if number else "Reminder sent"
    since = reminder.get("waiting_since")
    return f"{said}, no answer since {_when(since)}" if since else said


def _refused(data: object, _names: Names) -> str:
    refused = ev.read(data, ev.Refused)
    said = (
        "A mail from the client was marked as a refusal of the proposed steps"
        if refused.get("source") == RefusalSource.MAIL
        else "The client refused the proposed steps in the portal"
    )
    return _with(said, refused.get("reason"))


def _escalated(data: object, _names: Names) -> str:
    return _with("Agents on duty alerted", ev.read(data, ev.Escalated).get("why"))


def _linked(data: object, _names: Names) -> str:
    linked = ev.read(data, ev.Linked)
    if follows := linked.get("follows"):
        return f"Follows {follows}"
    if into := linked.get("merged_into"):
        told = "named it" if linked.get("named") else "did not name it (not theirs to see)"
        return f"Merged into {into} as a duplicate; the mail to the client {told}"
    if merged := linked.get("merged_from"):
        return f"{merged} was merged into this ticket as a duplicate"
    if related := linked.get("related_to"):
        return f"Linked as related to {related}"
    if unrelated := linked.get("unrelated_to"):
        return f"No longer linked to {unrelated}"
    return f"Followed by {linked.get('followed_by', 'another ticket')}"


def _held_mail(data: object, _names: Names) -> str:
    note = ev.read(data, ev.HeldMail).get("note", "")  # "held mail 5 from …: what was done"
    return note[:1].upper() + note[1:] if note else "Held mail decided"


_SENTENCES: dict[str, Callable[[object, Names], str]] = {
    EventKind.CREATED: _created,
    EventKind.CLOSED: _closed,
    EventKind.REOPENED: _reopened,
    EventKind.RESOLVED: _resolved,
    EventKind.STATUS: _status,
    EventKind.ASSIGNED: _assigned,
    EventKind.REASSESSED: _reassessed,
    EventKind.MILESTONE: _milestone,
    EventKind.MESSAGE: _message,
    EventKind.WAITING: _waiting,
    EventKind.RESUMED: _resumed,
    EventKind.CLOCK_WARNING: _clock_warning,
    EventKind.CLOCK_BREACH: _clock_breach,
    EventKind.REMINDER: _reminder,
    EventKind.REFUSED: _refused,
    EventKind.ESCALATED: _escalated,
    EventKind.LINKED: _linked,
    EventKind.HELD_MAIL: _held_mail,
}


# -- words ------------------------------------------------------------------------------------


def _with(said: str, detail: str | None) -> str:
    """The sentence, and the free text that came with it (a reason, a note) after a colon."""
    detail = (detail or "").strip()
    return f"{said}: {detail}" if detail else said


def _label(choices: type[models.TextChoices], value: str | None) -> str:
    """A stored value by its label; a value no longer among the choices shows as stored."""
    return str(choices(value).label) if value in choices.values else str(value or "")


def _clock(name: str | None) -> str:
    """A clock as a sentence starts with it: "First response"."""
    words = Clock(name).words if name and name in Clock else str(name or "a clock")
    return words[:1].upper() + words[1:]


def _when(iso: str | None) -> str:
    """A stored ISO time in the desk's time zone, as the history shows times: "Fri 4 Dec 14:10"."""
    try:
        at = datetime.fromisoformat(iso or "")
    except ValueError:
        return str(iso or "")
    return dateformat.format(timezone.localtime(at), "D j M H:i")
