"""When a ticket waiting on the client gets its reminders and its automatic close.

Silence is counted in business time from the start of the current wait (the last WAITING event:
a proposal of steps, or an agent's "wait on the client"). Each level sets three periods
(SeverityLevel.reminder_first_after, reminder_second_after, close_after; 2, 4 and 5 business
days by default, a Brussels business day being its 8 opening hours). An out-of-office reply
does not end the wait, so it does not reset the silence.

Nothing here is stored on the ticket (the ticket's columns are not to change): the schedule is
worked out from the WAITING and REMINDER events, so the sweep reads the tickets whose status is
waiting_on_client (an index) and its cost follows the number of waiting tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deskside.core.business_time import Calendar
from deskside.tickets.models import EventKind, Ticket

REMINDERS = 2  # then the close


@dataclass(frozen=True)
class Silence:
    """The current wait on the client: since when, and the reminders sent since."""

    since: datetime
    reminders: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class NextStep:
    number: int  # 1 and 2: reminders; 3: the automatic close
    due: datetime

    @property
    def closes(self) -> bool:
        return self.number > REMINDERS


def next_step(
    silence: Silence, periods: tuple[timedelta, timedelta, timedelta], calendar: Calendar
) -> NextStep:
    """The next reminder or the close. Each comes its period after the silence began, and, if
    the sweep fell behind, never sooner after the previous step than the periods set them apart
    (a client never gets two reminders within a minute)."""
    done = min(len(silence.reminders), REMINDERS)
    due = calendar.add(silence.since, periods[done])
    if done:
        spacing = periods[done] - periods[done - 1]
        due = max(due, calendar.add(silence.reminders[done - 1], spacing))
    return NextStep(number=done + 1, due=due)


def silence_of(ticket: Ticket) -> Silence | None:
    """The current wait of one ticket, from its events; None when it does not wait."""
    if not ticket.is_waiting():
        return None
    rows = ticket.events.filter(kind__in=(EventKind.WAITING, EventKind.REMINDER)).order_by(
        "created_at", "id"
    )
    since: datetime | None = None
    reminders: list[datetime] = []
    for kind, at in rows.values_list("kind", "created_at"):
        if kind == EventKind.WAITING:
            since, reminders = at, []
        else:
            reminders.append(at)
    return Silence(since=since, reminders=tuple(reminders)) if since else None
