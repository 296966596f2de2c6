"""Escalation (issue 6): a new level-1 or level-2 ticket alerts the agents on duty at once by
mail; and the 75% warnings and breaches reach the assignee and the leads by mail."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import translation

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.duty import DUTY_GROUP
from deskside.tickets.models import CloseReason, Direction, EventKind, MessageKind, Ticket
from deskside.tickets.tasks import sweep

BXL = ZoneInfo("Europe/Brussels")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BXL)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_policy():
    policy.clear()


def mail_at(people, level: int | None, subject: str = "Payroll is down", problem=None):
    with time_machine.travel(MONDAY_9, tick=False):
        return actions.open_ticket(
            contact=people.client,
            subject=subject,
            claimed_severity=level,
            received_at=MONDAY_9,
            problem=problem,
            message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="help"),
        )


def escalations() -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(purpose="escalation").order_by("id"))


@pytest.mark.parametrize("level", [1, 2])
def test_a_new_urgent_ticket_alerts_every_agent_while_nobody_is_on_duty(people, level):
    ticket = mail_at(people, level)
    [alert] = escalations()
    assert alert.to == ["alice@ccs2.test", "bob@ccs2.test"]
    assert (
        alert.subject == f"[{ticket.ref}] Level {level} ticket needs an agent now: Payroll is down"
    )
    assert "Claire Peeters <Claire@Acme.example>, Acme Antwerp" in alert.text
    assert f"In the desk: http://127.0.0.1:8000/desk/ticket/{ticket.ref}/\n" in alert.text
    event = ticket.events.get(kind=EventKind.ESCALATED)
    assert event.data == {"level": level, "why": "new ticket", "to": "all agents"}


def test_the_duty_group_gets_the_alert_when_it_has_members(people):
    duty = Group.objects.get(name=DUTY_GROUP)  # created by the migration
    people.second_agent.groups.add(duty)
    ticket = mail_at(people, 1)
    [alert] = escalations()
    assert alert.to == ["bob@ccs2.test"]
    assert ticket.events.get(kind=EventKind.ESCALATED).data["to"] == DUTY_GROUP
    assert "First response due: Mon 23 Nov 09:30" in alert.text


def test_who_is_on_duty_is_read_again_as_soon_as_staff_or_groups_change(people):
    """The duty list is cached (the intake opens many urgent tickets a second); a lead's change
    in the admin must still count for the very next alert."""
    mail_at(people, 1, subject="First")
    duty = Group.objects.get(name=DUTY_GROUP)
    people.second_agent.groups.add(duty)
    mail_at(people, 1, subject="Second")
    people.second_agent.is_active = False
    people.second_agent.save()
    mail_at(people, 1, subject="Third")
    people.second_agent.groups.remove(duty)
    people.agent.email = "alice.new@ccs2.test"
    people.agent.save()
    mail_at(people, 1, subject="Fourth")
    assert [alert.to for alert in escalations()] == [
        ["alice@ccs2.test", "bob@ccs2.test"],
        ["bob@ccs2.test"],
        ["alice@ccs2.test"],  # the only duty member left: all (active) agents
        ["alice.new@ccs2.test"],
    ]


def test_a_staff_alert_is_english_when_a_client_writes_from_the_dutch_portal(people):
    with translation.override("nl"):  # as in a portal request of a Dutch-speaking client
        mail_at(people, 1)
    [alert] = escalations()
    assert "First response due: Mon 23 Nov 09:30" in alert.text


def test_levels_3_and_4_alert_nobody(people):
    mail_at(people, 3)
    mail_at(people, 4)
    assert escalations() == []


def test_a_reassessment_to_level_1_or_2_alerts_but_a_lowering_does_not(people):
    ticket = mail_at(people, 3)
    actions.reassess(ticket, 2, reason="Several clients are hit", by=Actor.staff(people.agent))
    actions.reassess(ticket, 1, reason="Production is down", by=Actor.staff(people.agent))
    actions.reassess(ticket, 2, reason="A workaround exists", by=Actor.staff(people.agent))
    whys = [e.data["why"] for e in ticket.events.filter(kind=EventKind.ESCALATED).order_by("id")]
    assert whys == ["reassessed from level 3", "reassessed from level 2"]
    assert len(escalations()) == 2


def test_a_ticket_reopened_at_level_1_alerts(people):
    ticket = mail_at(people, None, problem=CloseReason.NO_SEVERITY)
    assert escalations() == []
    actions.reopen(ticket, by=Actor.client(people.client), reason="Reply with Sev 1", severity=1)
    [alert] = escalations()
    assert ticket.events.get(kind=EventKind.ESCALATED).data["why"] == "reopened"
    assert "Level 1" in alert.subject


def test_warnings_and_breaches_reach_the_assignee_and_the_leads(people):
    ticket = mail_at(people, 1)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    sweep(datetime(2026, 11, 23, 9, 23, tzinfo=BXL))  # 75% of the 30-minute first response
    [warning] = OutboundMail.objects.filter(purpose=EventKind.CLOCK_WARNING)
    assert warning.to == ["alice@ccs2.test", "lena@ccs2.test"]  # not bob, not the technician
    assert warning.subject == (
        f"[{ticket.ref}] 75% used: first response (level 1, due Mon 23 Nov 09:30)"
    )
    assert "75% of the first response clock is used; it is due Mon 23 Nov 09:30." in warning.text
    assert "assigned to alice" in warning.text
    sweep(datetime(2026, 11, 23, 9, 31, tzinfo=BXL))
    [breach] = OutboundMail.objects.filter(purpose=EventKind.CLOCK_BREACH)
    assert breach.to == ["alice@ccs2.test", "lena@ccs2.test"]
    assert "Breached: first response" in breach.subject
    assert "The first response clock was due Mon 23 Nov 09:30 and has passed." in breach.text


def test_a_level_1_mail_and_a_level_2_portal_ticket_alert_at_once(people):
    from email.message import EmailMessage

    from deskside.mail.intake import ingest
    from deskside.mail.models import Door
    from tests.portal.conftest import signed_in

    raw = EmailMessage()
    raw["From"] = "Claire Peeters <Claire@Acme.example>"
    raw["To"] = "support@deskside.test"
    raw["Subject"] = "[Sev 1] Payroll is down"
    raw["Message-ID"] = "<sev1@client.example>"
    raw.set_content("Nobody can run the payroll.")
    result = ingest(raw.as_bytes(), door=Door.PIPE)
    assert result.ticket is not None
    posted = signed_in(people.colleague).post(
        "/portal/new/",
        {"subject": "Reports broken", "level": "2", "description": "All reports fail."},
    )
    assert posted.status_code == 302
    portal_ticket = Ticket.objects.get(subject="Reports broken")
    assert [a.subject for a in escalations()] == [
        f"[{result.ticket}] Level 1 ticket needs an agent now: [Sev 1] Payroll is down",
        f"[{portal_ticket.ref}] Level 2 ticket needs an agent now: Reports broken",
    ]
