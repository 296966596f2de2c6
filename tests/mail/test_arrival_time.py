"""The protocol's time is the arrival time (docs/protocol.md, "Clocks"): a mail processed late
(a backlog, an outage, a late poll) starts its clocks, and shows, at the moment it reached our
door, not at the moment Deskside got to it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import Direction, EventKind, Status
from tests.mail.test_intake import mail, run, ticket_of
from tests.people import People

pytestmark = pytest.mark.django_db

BXL = ZoneInfo("Europe/Brussels")
THURSDAY_10 = datetime(2026, 3, 5, 10, 0, tzinfo=BXL)
FRIDAY_16_30 = datetime(2026, 3, 6, 16, 30, tzinfo=BXL)
MONDAY_14_03 = datetime(2026, 3, 9, 14, 3, tzinfo=BXL)


def test_a_level_added_on_friday_and_processed_on_monday_counts_from_friday(
    people: People,
) -> None:
    with time_machine.travel(THURSDAY_10, tick=False):
        ticket = ticket_of(run(mail("export fails"), received_at=THURSDAY_10))
    assert ticket.status == Status.CLOSED

    with time_machine.travel(MONDAY_14_03, tick=False):  # the backlog is worked on Monday
        result = run(mail(f"Re: [{ticket.ref}] Sev 2 - export fails"), received_at=FRIDAY_16_30)

    assert result.severity == 2
    ticket.refresh_from_db()
    # Level 2: first response within 2 business hours of Friday 16:30, so 30 minutes on Friday
    # and 90 on Monday morning: Monday 10:30, not Monday 16:03.
    assert ticket.first_response_due == datetime(2026, 3, 9, 10, 30, tzinfo=BXL)
    reply = ticket.messages.filter(direction=Direction.INBOUND).latest("id")
    assert reply.created_at == FRIDAY_16_30
    assert ticket.events.get(kind=EventKind.REOPENED).created_at == FRIDAY_16_30
    ack = ticket.messages.filter(kind="acknowledgement").get()
    assert "maandag 9 maart 2026, 10:30" in ack.text


def test_a_new_mail_shows_when_it_arrived(people: People) -> None:
    with time_machine.travel(MONDAY_14_03, tick=False):
        ticket = ticket_of(run(mail("Sev 3 - printer"), received_at=FRIDAY_16_30))

    first = ticket.messages.get(direction=Direction.INBOUND)
    assert (ticket.received_at, first.created_at) == (FRIDAY_16_30, FRIDAY_16_30)
    # Level 3: 8 business hours from Friday 16:30 → Monday 16:30 (0.5 h Friday, 7.5 h Monday),
    # where counting from Monday 14:03 would have said Tuesday 14:03.
    assert ticket.first_response_due == datetime(2026, 3, 9, 16, 30, tzinfo=BXL)


def test_an_answer_processed_late_ends_the_wait_when_it_arrived(people: People) -> None:
    with time_machine.travel(THURSDAY_10, tick=False):
        ticket = ticket_of(run(mail("Sev 3 - printer"), received_at=THURSDAY_10))
        actions.propose_steps(ticket, "Restart the spooler.", by=actions.Actor.staff(people.agent))
    answered = datetime(2026, 3, 5, 11, 0, tzinfo=BXL)

    with time_machine.travel(MONDAY_14_03, tick=False):
        run(mail(f"Re: [{ticket.ref}] done, it works"), received_at=answered)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    resumed = ticket.events.get(kind=EventKind.RESUMED)
    assert resumed.created_at == answered
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))  # any action recomputes
    ticket.refresh_from_db()
    # The proposal at 10:00 met the first response; paused 10:00-11:00 (one hour), the goal of
    # 80 business hours from Thursday 10:00 moves one business hour later.
    assert ticket.goal_due == datetime(2026, 3, 19, 11, 0, tzinfo=BXL)
