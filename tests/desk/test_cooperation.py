"""The desk's side of cooperation and escalation: proposing steps, marking a mail as a refusal,
the closings that need evidence and the Evidence section, and the untaken urgent tickets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import CloseReason, Direction, EventKind, MessageKind, Status
from deskside.tickets.tasks import sweep_cooperation
from tests.desk.conftest import BRUSSELS, MONDAY_10, open_ticket, refs_in

pytestmark = pytest.mark.django_db
STEPS = "Please restart the export service and send us its log."


def url(ticket, action=""):
    return f"/desk/ticket/{ticket.ref}/" + (f"{action}/" if action else "")


def test_an_agent_proposes_steps_from_the_ticket_page(agent, people):
    ticket = open_ticket(people, level=3)
    page = agent.get(url(ticket)).content.decode()
    assert "Propose steps" in page
    assert (
        "reminders go after 2 business days and 4 business days of silence, and the ticket "
        "closes as client unavailable after 5 business days"
    ) in page
    answer = agent.post(url(ticket, "propose"), {"steps": STEPS}, follow=True)
    assert answer.status_code == 200
    assert "the ticket waits on the client and its clocks are paused" in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT and ticket.clocks_paused
    assert OutboundMail.objects.get(purpose="proposal").to == ["Claire@Acme.example"]


def test_proposing_nothing_is_refused_on_the_page(agent, people):
    ticket = open_ticket(people, level=3)
    answer = agent.post(url(ticket, "propose"), {"steps": "  "})
    assert answer.status_code == 422
    assert "Proposed steps need some text" in answer.content.decode()


def test_closing_as_uncooperative_without_evidence_shows_why(agent, people):
    ticket = open_ticket(people, level=3)
    answer = agent.post(url(ticket, "close"), {"reason": "client_uncooperative", "note": ""})
    assert answer.status_code == 422
    assert (
        "Closing as client_uncooperative needs evidence: at least one proposal of steps and one "
        "reminder; this ticket has no proposal of steps, no reminder, no refusal."
    ) in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_an_agent_marks_a_mail_as_a_refusal_then_closes_as_refused(agent, people):
    ticket = open_ticket(people, level=3)
    page = agent.get(url(ticket)).content.decode()
    assert "Mark this mail as a refusal" not in page  # nothing proposed yet
    actions.propose_steps(ticket, STEPS, by=actions.Actor.staff(people.agent))
    mail = actions.receive_from_client(
        ticket,
        NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="We cannot restart it before the month end.",
            sender=people.client.email,
        ),
        by=actions.Actor.sender(people.client.email),
    ).posted
    page = agent.get(url(ticket)).content.decode()
    assert page.count("Mark this mail as a refusal") == 1  # the answer, not the first mail
    answer = agent.post(url(ticket, "refusal"), {"message": mail.pk, "reason": ""}, follow=True)
    assert "recorded as a refusal of the proposed steps" in answer.content.decode()
    event = ticket.events.get(kind=EventKind.REFUSED)
    assert event.data["reason"] == "We cannot restart it before the month end."
    answer = agent.post(url(ticket, "close"), {"reason": "client_refused", "note": ""})
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert ticket.close_reason == CloseReason.CLIENT_REFUSED


def test_the_evidence_behind_a_closing_is_on_the_ticket_page(agent, people):
    ticket = open_ticket(people, level=3)
    with time_machine.travel(MONDAY_10, tick=False):
        actions.propose_steps(ticket, STEPS, by=actions.Actor.staff(people.agent))
    reminded = datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS)  # 16 business hours later
    with time_machine.travel(reminded, tick=False):
        assert sweep_cooperation() == 1
    with time_machine.travel(reminded + timedelta(hours=1), tick=False):
        actions.record_refusal(
            ticket, by=Actor.client(people.client), reason="Too risky for us.", source="portal"
        )
        actions.close(ticket, CloseReason.CLIENT_UNCOOPERATIVE, by=Actor.staff(people.agent))
    page = agent.get(url(ticket)).content.decode()
    evidence = page[page.index('id="evidence-title"') :]
    assert "Closed as <strong>Client did not cooperate</strong> (client_uncooperative)" in evidence
    assert "Mon 23 Nov 2026 10:00</time> by Alice: Please restart the export service" in evidence
    assert "Reminder 1: <time" in evidence and "Wed 25 Nov 2026 10:00" in evidence
    assert "Wed 25 Nov 2026 11:00</time> (in the portal): Too risky for us." in evidence


def test_untaken_urgent_tickets_are_a_banner_and_highlighted_until_taken(agent, people):
    urgent = open_ticket(people, level=1, subject="[Sev 1] Payroll down")
    major = open_ticket(people, level=2, subject="[Sev 2] Reports broken")
    open_ticket(people, level=3, subject="[Sev 3] Slow page")
    page = agent.get("/desk/").content.decode()
    assert (
        "<strong>Level 1/2 tickets nobody has taken:</strong>\n  "
        f'<a href="/desk/ticket/{urgent.ref}/">{urgent.ref}</a>, '
        f'<a href="/desk/ticket/{major.ref}/">{major.ref}</a>.'
    ) in page
    assert f'<tr data-href="/desk/ticket/{urgent.ref}/" class="escalated">' in page
    assert f'<tr data-href="/desk/ticket/{major.ref}/" class="escalated">' in page
    assert page.count('class="escalated"') == 2  # the level-3 row is not highlighted
    assert "nobody has taken it" in agent.get(url(urgent)).content.decode()

    agent.post(url(urgent, "take"))
    page = agent.get("/desk/").content.decode()
    assert f'<tr data-href="/desk/ticket/{urgent.ref}/">' in page
    assert f">{urgent.ref}</a>." not in page
    assert f'<a href="/desk/ticket/{major.ref}/">{major.ref}</a>.' in page
    assert "nobody has taken it" not in agent.get(url(urgent)).content.decode()
    assert len(refs_in(page)) == 3

    agent.post(url(major, "take"))
    assert "nobody has taken" not in agent.get("/desk/").content.decode()


def test_a_technician_is_not_told_to_take_what_they_cannot(client, people):
    """A technician sees the untaken level-1 ticket, but taking it is an agent's: the banners
    say who stops the alert instead of asking them to."""
    urgent = open_ticket(people, level=1, subject="[Sev 1] Payroll down")
    client.force_login(people.technician)
    queue = client.get("/desk/").content.decode()
    assert "nobody has taken:" in queue and "Take them from the ticket page" not in queue
    assert "They stay highlighted below until an agent takes them." in queue
    page = client.get(url(urgent)).content.decode()
    assert "an agent who takes it stops the alert" in page and "take it to stop" not in page
