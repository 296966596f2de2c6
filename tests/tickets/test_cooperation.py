"""Cooperation (docs/protocol.md, Cooperation): proposed steps pause the clocks, silence brings
reminders at 2 and 4 business days and the close as client_unavailable at 5, a refusal lets the
agent close as client_refused, and the cooperation closings need their evidence."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.core.errors import ErrorCode
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, policy
from deskside.tickets.actions import ActionError, Actor, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    MessageKind,
    SeverityLevel,
    Status,
    Ticket,
)
from deskside.tickets.tasks import sweep_cooperation
from tests.refusals import refused

BXL = ZoneInfo("Europe/Brussels")
# Friday 6 November 2026. Wednesday 11 November (Armistice) is a Belgian public holiday.
FRIDAY_10 = datetime(2026, 11, 6, 10, 0, tzinfo=BXL)
# 16, 32 and 40 business hours (2, 4 and 5 business days) of silence after FRIDAY_10:
REMINDER_1 = datetime(2026, 11, 10, 10, 0, tzinfo=BXL)  # Tue, across the weekend
REMINDER_2 = datetime(2026, 11, 13, 10, 0, tzinfo=BXL)  # Fri, across the holiday
CLOSE = datetime(2026, 11, 16, 10, 0, tzinfo=BXL)  # Mon, across the weekend
MINUTE = timedelta(minutes=1)
STEPS = "1. Empty the browser cache.\n2. Export again and send us the log file."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_policy():
    policy.clear()


def open_at(people, at=FRIDAY_10 - timedelta(minutes=30), level=3, contact=None, language=None):
    contact = contact or people.client
    with time_machine.travel(at, tick=False):
        return actions.open_ticket(
            contact=contact,
            subject=f"[Sev {level}] Export fails",
            claimed_severity=level,
            received_at=at,
            language=language,
            message=NewMessage(
                direction=Direction.INBOUND,
                kind=MessageKind.MAIL,
                text="The export fails.",
                sender=contact.email,
            ),
        )


def propose(ticket, people, at=FRIDAY_10, steps=STEPS):
    with time_machine.travel(at, tick=False):
        return actions.propose_steps(ticket, steps, by=actions.Actor.staff(people.agent)).posted


def sweep_at(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return sweep_cooperation()


def client_mail(ticket, text="Done, it works now.", counts_as_answer=True, at=None):
    kind = MessageKind.MAIL if counts_as_answer else MessageKind.AUTO_REPLY
    with time_machine.travel(at or FRIDAY_10 + timedelta(hours=2), tick=False):
        return actions.receive_from_client(
            ticket,
            NewMessage(
                direction=Direction.INBOUND,
                kind=kind,
                text=text,
                sender=ticket.contact.email,
            ),
            counts_as_answer=counts_as_answer,
            by=actions.Actor.sender(ticket.contact.email),
        ).posted


def reminders(ticket) -> list[tuple[int, datetime]]:
    return [
        (e.data["number"], e.created_at)
        for e in ticket.events.filter(kind=EventKind.REMINDER).order_by("id")
    ]


def mails(purpose_prefix: str) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(purpose__startswith=purpose_prefix).order_by("id"))


def test_proposing_steps_mails_them_in_the_clients_language_and_pauses_the_clocks(people):
    ticket = open_at(people)
    assert ticket.goal_due is not None
    message = propose(ticket, people)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT
    assert ticket.clocks_paused and ticket.goal_due is None and ticket.next_check_at is None
    assert (message.direction, message.kind, message.text) == (
        Direction.OUTBOUND,
        MessageKind.PROPOSAL,
        STEPS,
    )
    [mail] = mails("proposal")
    assert mail.to == ["Claire@Acme.example"]
    assert mail.subject == f"[{ticket.ref}] [Sev 3] Export fails"
    assert mail.message_id == message.message_id
    # Claire reads Dutch: the steps, how to answer or refuse, and when reminders would come.
    assert STEPS in mail.text
    assert "De voorgestelde stappen weigeren" in mail.text
    assert "herinnering op dinsdag 10 november 2026, 10:00" in mail.text
    assert "op vrijdag 13 november 2026, 10:00" in mail.text
    assert 'onbereikbaar" op maandag 16 november 2026, 10:00' in mail.text
    # A proposal is a public reply by an agent: it meets the first-response clock.
    assert ticket.first_response_due is None


def test_proposal_on_a_closed_ticket_or_without_steps_is_refused(people):
    ticket = open_at(people)
    with refused(ErrorCode.EMPTY_STEPS):
        propose(ticket, people, steps="   ")
    with time_machine.travel(FRIDAY_10, tick=False):
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    with refused(ErrorCode.TICKET_CLOSED):
        propose(ticket, people)


def test_the_clients_answer_by_mail_resumes_the_clocks_and_stops_the_reminders(people):
    ticket = open_at(people)
    propose(ticket, people)
    client_mail(ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.clocks_paused
    assert ticket.goal_due is not None
    assert sweep_at(CLOSE + timedelta(days=3)) == 0
    assert reminders(ticket) == []


def test_reminders_at_2_and_4_business_days_then_the_close_at_5(people):
    ticket = open_at(people)
    propose(ticket, people)

    assert sweep_at(REMINDER_1 - MINUTE) == 0
    assert sweep_at(REMINDER_1) == 1
    assert reminders(ticket) == [(1, REMINDER_1)]
    [first] = mails("reminder_1")
    assert first.subject == f"Herinnering 1: [{ticket.ref}] [Sev 3] Export fails"
    assert "Dit is herinnering 1 van 2" in first.text
    assert "Sinds vrijdag 6 november 2026, 10:00" in first.text
    assert STEPS in first.text
    assert "op maandag 16 november 2026, 10:00" in first.text
    assert sweep_at(REMINDER_1 + MINUTE) == 0  # once

    assert sweep_at(REMINDER_2 - MINUTE) == 0
    assert sweep_at(REMINDER_2) == 1
    assert reminders(ticket) == [(1, REMINDER_1), (2, REMINDER_2)]
    assert "Dit is herinnering 2 van 2" in mails("reminder_2")[0].text

    assert sweep_at(CLOSE - MINUTE) == 0
    assert sweep_at(CLOSE) == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, CloseReason.CLIENT_UNAVAILABLE)
    assert ticket.closed_at == CLOSE
    closed = ticket.events.get(kind=EventKind.CLOSED)
    assert closed.actor_label == "Deskside"
    [final] = mails("closed_unavailable")
    assert final.subject == f"Gesloten: [{ticket.ref}] [Sev 3] Export fails"
    assert 'met als reden "klant onbereikbaar"' in final.text
    # Everything the client was sent is in the conversation, threaded under the proposal.
    kinds = list(
        ticket.messages.filter(direction=Direction.OUTBOUND).values_list("kind", flat=True)
    )
    assert kinds == [MessageKind.PROPOSAL, MessageKind.REMINDER, MessageKind.REMINDER, "closure"]
    assert (
        final.in_reply_to
        == ticket.messages.get(
            kind=MessageKind.REMINDER, text=mails("reminder_2")[0].text
        ).message_id
    )
    assert sweep_at(CLOSE + timedelta(days=7)) == 0


def test_an_out_of_office_reply_does_not_reset_the_silence(people):
    ticket = open_at(people)
    propose(ticket, people)
    client_mail(
        ticket,
        "I am out of the office until 20 November.",
        counts_as_answer=False,
        at=datetime(2026, 11, 9, 11, 0, tzinfo=BXL),
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT
    assert sweep_at(REMINDER_1) == 1
    assert reminders(ticket) == [(1, REMINDER_1)]


def test_periods_edited_on_a_level_change_the_schedule(people):
    level = SeverityLevel.objects.get(level=3)
    level.reminder_first_after = timedelta(hours=8)  # one business day
    level.reminder_second_after = timedelta(hours=12)
    level.close_after = timedelta(hours=24)
    level.full_clean()
    level.save()
    ticket = open_at(people)
    propose(ticket, people)
    # Fri 10:00 + 8 h: 7 h on Friday, 1 h on Monday.
    assert sweep_at(datetime(2026, 11, 9, 9, 59, tzinfo=BXL)) == 0
    assert sweep_at(datetime(2026, 11, 9, 10, 0, tzinfo=BXL)) == 1
    assert sweep_at(datetime(2026, 11, 9, 14, 0, tzinfo=BXL)) == 1
    assert sweep_at(datetime(2026, 11, 12, 10, 0, tzinfo=BXL)) == 1  # 24 h, Wednesday skipped
    ticket.refresh_from_db()
    assert ticket.close_reason == CloseReason.CLIENT_UNAVAILABLE
    # Another level keeps the defaults.
    assert SeverityLevel.objects.get(level=2).reminder_first_after == timedelta(hours=16)


def test_periods_out_of_order_are_refused_in_the_admin_form(people):
    level = SeverityLevel.objects.get(level=3)
    level.reminder_second_after = level.reminder_first_after
    with pytest.raises(Exception, match="first reminder < second reminder < close"):
        level.full_clean()


def test_a_late_sweep_sends_one_reminder_and_keeps_the_spacing(people):
    ticket = open_at(people)
    propose(ticket, people)
    # The scheduler was down until after the close date: one reminder now, not three steps.
    late = datetime(2026, 11, 16, 12, 0, tzinfo=BXL)
    assert sweep_at(late) == 1
    assert sweep_at(late + MINUTE) == 0
    assert reminders(ticket) == [(1, late)]
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT


def test_a_new_proposal_starts_a_new_silence(people):
    ticket = open_at(people)
    propose(ticket, people)
    assert sweep_at(REMINDER_1) == 1
    propose(ticket, people, at=datetime(2026, 11, 10, 11, 0, tzinfo=BXL), steps="Try this too.")
    # Counted from the new proposal: 6 h on Tuesday, the holiday, 8 h on Thursday, 2 on Friday.
    assert sweep_at(REMINDER_2) == 0
    assert sweep_at(datetime(2026, 11, 13, 11, 0, tzinfo=BXL)) == 1
    assert [n for n, _at in reminders(ticket)] == [1, 1]


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Reminder 1:", "This is reminder 1 of 2"),
        ("nl", "Herinnering 1:", "Dit is herinnering 1 van 2"),
        ("fr", "Rappel 1 :", "Ceci est le rappel 1 sur 2"),
        ("de", "Erinnerung 1:", "Dies ist Erinnerung 1 von 2"),
    ],
)
def test_reminders_speak_the_tickets_language(people, language, subject, words):
    ticket = open_at(people, language=language)
    propose(ticket, people)
    sweep_at(REMINDER_1)
    [mail] = mails("reminder_1")
    assert mail.subject.startswith(subject)
    assert words in mail.text


# -- refusal and the closings that need evidence --------------------------------------------


def test_closing_as_client_refused_needs_a_refusal(people):
    ticket = open_at(people)
    propose(ticket, people)
    with pytest.raises(ActionError) as refused:
        actions.close(ticket, CloseReason.CLIENT_REFUSED, by=Actor.staff(people.agent))
    assert str(refused.value) == (
        "Closing as client_refused needs a refusal recorded: the client refuses in the portal, "
        "or an agent marks the client's mail as a refusal; this ticket has 1 proposal of steps, "
        "no reminder, no refusal."
    )
    actions.record_refusal(
        ticket,
        by=Actor.client(people.client),
        reason="We cannot stop production.",
        source="portal",
    )
    actions.close(ticket, CloseReason.CLIENT_REFUSED, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.close_reason == CloseReason.CLIENT_REFUSED


def test_a_refusal_is_an_answer_that_resumes_the_clocks(people):
    ticket = open_at(people)
    propose(ticket, people)
    with time_machine.travel(FRIDAY_10 + timedelta(hours=1), tick=False):
        actions.record_refusal(
            ticket, by=Actor.client(people.client), reason="Too risky.", source="portal"
        )
    event = ticket.events.get(kind=EventKind.REFUSED)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and not ticket.clocks_paused
    assert event.data["reason"] == "Too risky." and event.data["source"] == "portal"
    refusal = ticket.messages.get(kind=MessageKind.REFUSAL)
    assert (refusal.direction, refusal.text) == (Direction.INBOUND, "Too risky.")
    assert sweep_at(REMINDER_1) == 0


def test_an_agent_marks_a_mail_as_a_refusal(people):
    ticket = open_at(people)
    propose(ticket, people)
    mail = client_mail(ticket, "No, we will not reinstall the server during the month end.")
    actions.record_refusal(ticket, by=Actor.staff(people.agent), source="mail", message=mail)
    event = ticket.events.get(kind=EventKind.REFUSED)
    assert event.data == {
        "reason": "No, we will not reinstall the server during the month end.",
        "source": "mail",
        "message": mail.pk,
    }
    assert event.actor == people.agent
    with refused(ErrorCode.ALREADY_MARKED_REFUSAL):
        actions.record_refusal(ticket, by=Actor.staff(people.agent), source="mail", message=mail)
    proposal = ticket.messages.get(kind=MessageKind.PROPOSAL)
    with refused(ErrorCode.NOT_FROM_CLIENT):
        actions.record_refusal(
            ticket, by=Actor.staff(people.agent), source="mail", message=proposal
        )


def test_no_refusal_without_proposed_steps(people):
    ticket = open_at(people)
    with refused(ErrorCode.NO_PROPOSED_STEPS):
        actions.record_refusal(ticket, by=Actor.client(people.client), source="portal")


@pytest.mark.parametrize(
    "reason", [CloseReason.CLIENT_UNCOOPERATIVE, CloseReason.CLIENT_UNAVAILABLE]
)
def test_uncooperative_and_unavailable_need_a_proposal_and_a_reminder(people, reason):
    ticket = open_at(people)
    with pytest.raises(ActionError) as refused:
        actions.close(ticket, reason, by=Actor.staff(people.agent))
    assert str(refused.value) == (
        f"Closing as {reason.value} needs evidence: at least one proposal of steps and one "
        "reminder; this ticket has no proposal of steps, no reminder, no refusal."
    )
    propose(ticket, people)
    with pytest.raises(ActionError, match="this ticket has 1 proposal of steps, no reminder"):
        actions.close(ticket, reason, by=Actor.staff(people.agent))
    sweep_at(REMINDER_1)
    with time_machine.travel(REMINDER_1 + timedelta(hours=1), tick=False):
        actions.close(ticket, reason, by=Actor.staff(people.agent), note="No logs after 2 asks.")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, reason)


def test_every_other_reason_closes_without_evidence(people):
    for reason in set(CloseReason) - {
        CloseReason.CLIENT_REFUSED,
        CloseReason.CLIENT_UNCOOPERATIVE,
        CloseReason.CLIENT_UNAVAILABLE,
    }:
        ticket = open_at(people)
        actions.close(ticket, reason, by=Actor.staff(people.agent))
        assert Ticket.objects.get(pk=ticket.pk).close_reason == reason


def test_out_of_scope_close_tells_the_client_in_their_language():
    from deskside.outbox.models import OutboundMail
    from deskside.tickets import actions as ticket_actions
    from deskside.tickets.actions import Actor as TicketActor
    from deskside.tickets.actions import NewMessage as TicketMessage
    from deskside.tickets.models import CloseReason as Reason
    from deskside.tickets.models import Direction as Dir
    from deskside.tickets.models import MessageKind as Kind
    from tests.people import make_people as people_of

    people = people_of()
    ticket = ticket_actions.open_ticket(
        contact=people.other_client,
        subject="Sev 4 please order lunch",
        claimed_severity=4,
        received_at=people.acme.created_at,
        message=TicketMessage(direction=Dir.INBOUND, kind=Kind.MAIL, text="lunch?"),
    )
    ticket_actions.close(
        ticket,
        Reason.OUT_OF_SCOPE,
        by=TicketActor.staff(people.agent),
        client_text="We support the application, not catering.",
    )
    mail = OutboundMail.objects.get(purpose="closed_out_of_scope")
    assert mail.to == ["olivier@globex.example"]
    assert mail.subject.startswith(f"Hors de notre support: [{ticket.ref}]")
    assert "hors du périmètre" in mail.text and "not catering" in mail.text
    assert ticket.messages.filter(direction=Dir.OUTBOUND, subject=mail.subject).exists()
