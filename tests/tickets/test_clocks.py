"""Clocks on real tickets: stored due times, their explanation, pauses, reassessment, and the
sweep that records warnings and breaches."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import Direction, EventKind, MessageKind
from deskside.tickets.tasks import sweep

BXL = ZoneInfo("Europe/Brussels")
pytestmark = pytest.mark.django_db


def open_at(people, received: datetime, level: int):
    with time_machine.travel(received, tick=False):
        return actions.open_ticket(
            contact=people.client,
            subject=f"Sev {level} broken",
            claimed_severity=level,
            received_at=received,
            message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="help"),
        )


def test_saturday_mail_starts_the_clock_on_monday(people):
    ticket = open_at(people, datetime(2026, 11, 28, 11, 0, tzinfo=BXL), level=1)
    assert ticket.first_response_due == datetime(2026, 11, 30, 9, 30, tzinfo=BXL)
    assert ticket.next_update_due is None  # runs only after the first response
    assert ticket.goal_due == datetime(2026, 11, 30, 17, 0, tzinfo=BXL)
    assert ticket.nearest_due == ticket.first_response_due


def test_christmas_is_skipped(people):
    # Thu 24 Dec 16:45: 15 minutes that day, Fri 25 Dec is a holiday, then the weekend.
    ticket = open_at(people, datetime(2026, 12, 24, 16, 45, tzinfo=BXL), level=1)
    assert ticket.first_response_due == datetime(2026, 12, 28, 9, 15, tzinfo=BXL)


def test_due_time_across_the_autumn_clock_change(people):
    # Fri 23 Oct 16:30 CEST; 2 business hours: 30 min on Friday, 90 min on Monday 26 Oct (CET).
    ticket = open_at(people, datetime(2026, 10, 23, 16, 30, tzinfo=BXL), level=2)
    due = ticket.first_response_due.astimezone(BXL)
    assert (due.hour, due.minute, due.day) == (10, 30, 26)
    assert due.utcoffset() == timedelta(hours=1)


def test_explanation_says_why(people):
    received = datetime(2026, 11, 27, 16, 45, tzinfo=BXL)
    ticket = open_at(people, received, level=1)
    from deskside.tickets.clocks import state

    clocks = state(ticket, received)
    assert clocks is not None
    explain = clocks.explain
    assert explain[0] == (
        "Received Fri 27 Nov 16:45, 15 min before closing; first response within "
        "30 business minutes → Mon 30 Nov 09:15."
    )


def test_waiting_on_the_client_pauses_and_resumes(people):
    ticket = open_at(people, datetime(2026, 11, 23, 9, 0, tzinfo=BXL), level=3)  # Mon
    assert ticket.first_response_due == datetime(2026, 11, 23, 17, 0, tzinfo=BXL)
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=BXL), tick=False):
        actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.clocks_paused and ticket.first_response_due is None
    assert ticket.next_check_at is None  # nothing to warn about while paused
    with time_machine.travel(datetime(2026, 11, 24, 10, 0, tzinfo=BXL), tick=False):
        answer = NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="done")
        actions.receive_from_client(ticket, answer, by=actions.Actor.sender(answer.sender))
    ticket.refresh_from_db()
    # 1 h used before the pause, 7 h left from Tue 10:00 → Tue 17:00.
    assert not ticket.clocks_paused
    assert ticket.first_response_due == datetime(2026, 11, 24, 17, 0, tzinfo=BXL)


def test_reassessment_counts_from_the_original_receipt(people):
    ticket = open_at(people, datetime(2026, 11, 23, 9, 0, tzinfo=BXL), level=3)
    with time_machine.travel(datetime(2026, 11, 23, 9, 10, tzinfo=BXL), tick=False):
        actions.reassess(ticket, 1, reason="whole plant stopped", by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert (ticket.claimed_severity, ticket.severity) == (3, 1)
    assert ticket.first_response_due == datetime(2026, 11, 23, 9, 30, tzinfo=BXL)
    assert ticket.effort_rank == 0


def test_first_public_reply_stops_the_first_response_clock(people):
    ticket = open_at(people, datetime(2026, 11, 23, 9, 0, tzinfo=BXL), level=1)
    with time_machine.travel(datetime(2026, 11, 23, 9, 20, tzinfo=BXL), tick=False):
        actions.add_note(
            ticket, "looking", by=actions.Actor.staff(people.agent)
        )  # a note is not a response
        ticket.refresh_from_db()
        assert ticket.first_response_due is not None
        actions.reply(ticket, "We are on it.", by=actions.Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.first_response_due is None
    assert ticket.next_update_due == datetime(2026, 11, 23, 11, 20, tzinfo=BXL)


def test_sweep_records_warning_then_breach_once(people):
    ticket = open_at(people, datetime(2026, 11, 23, 9, 0, tzinfo=BXL), level=1)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    ticket.refresh_from_db()
    assert ticket.next_check_at == datetime(2026, 11, 23, 9, 22, 30, tzinfo=BXL)  # 75% of 30 min

    def alerts():
        return list(
            ticket.events.filter(
                kind__in=[EventKind.CLOCK_WARNING, EventKind.CLOCK_BREACH]
            ).values_list("kind", "data__clock")
        )

    assert sweep(datetime(2026, 11, 23, 9, 20, tzinfo=BXL)) == 0
    sweep(datetime(2026, 11, 23, 9, 23, tzinfo=BXL))
    assert alerts() == [(EventKind.CLOCK_WARNING, "first_response")]
    notice = OutboundMail.objects.get(purpose=EventKind.CLOCK_WARNING)
    assert notice.to == ["alice@ccs2.test", "lena@ccs2.test"]
    assert "75% used: first response" in notice.subject
    sweep(datetime(2026, 11, 23, 9, 25, tzinfo=BXL))
    assert len(alerts()) == 1  # not twice
    sweep(datetime(2026, 11, 23, 9, 31, tzinfo=BXL))
    assert alerts() == [
        (EventKind.CLOCK_WARNING, "first_response"),
        (EventKind.CLOCK_BREACH, "first_response"),
    ]
    assert OutboundMail.objects.filter(purpose=EventKind.CLOCK_BREACH).count() == 1
    ticket.refresh_from_db()
    assert ticket.next_check_at > datetime(2026, 11, 23, 9, 31, tzinfo=BXL)


def test_sweep_reads_only_due_tickets(people, django_assert_max_num_queries):
    for day in range(23, 28):
        open_at(people, datetime(2026, 11, day, 9, 0, tzinfo=BXL), level=3)
    with django_assert_max_num_queries(1):
        assert sweep(datetime(2026, 11, 23, 8, 0, tzinfo=BXL)) == 0
