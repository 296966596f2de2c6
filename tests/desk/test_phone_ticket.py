"""A ticket opened at the desk for a client who called: found by address or name, a level with
its definitions, the client acknowledged as if they had written, the door "Desk (phone)"."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.tickets.models import Door, EventKind, MessageKind, Status, Ticket
from tests.desk.conftest import MONDAY_10
from tests.people import People

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def call(client: Client, people: People, **data: object):
    posted = {
        "contact": people.client.pk,
        "subject": "Export fails",
        "level": "3",
        "text": "Claire called: the export stops at 40% since this morning.",
        **data,
    }
    return client.post(f"/desk/new/?contact={people.client.pk}", posted)


def test_the_agent_finds_the_client_by_address_or_name(agent, people):
    by_address = agent.get("/desk/new/", {"find": "claire@ac"}).content.decode()
    by_name = agent.get("/desk/new/", {"find": "jan jan"}).content.decode()

    assert f'href="?contact={people.client.pk}"' in by_address
    assert "Claire Peeters &lt;Claire@Acme.example&gt;" in by_address
    assert "Acme Antwerp" in by_address
    assert f'href="?contact={people.colleague.pk}"' in by_name
    assert f'?contact={people.client.pk}"' not in by_name
    nobody = agent.get("/desk/new/", {"find": "zz"}).content.decode()
    assert "No client’s address or name starts with “zz”." in nobody


def test_the_form_shows_the_chosen_client_and_every_level_with_its_definition(agent, people):
    html = agent.get("/desk/new/", {"contact": people.client.pk}).content.decode()
    assert "<strong>Claire Peeters</strong> &lt;Claire@Acme.example&gt;, Acme Antwerp" in html
    assert html.count('type="radio" name="level"') == 4
    assert 'class="severity-definition"' in html
    assert "Level 1" in html and "Level 4" in html


def test_a_phone_ticket_opens_and_the_client_gets_the_acknowledgement(agent, people):
    response = call(agent, people)

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/ticket/{ticket.ref}/"
    assert (ticket.contact, ticket.claimed_severity, ticket.severity) == (people.client, 3, 3)
    assert ticket.status == Status.NEW and ticket.language == "nl"
    first = ticket.messages.get(kind=MessageKind.PHONE)
    assert first.text.startswith("Claire called:") and first.sender == "Claire@Acme.example"
    assert ticket.door == Door.DESK  # the reports' door "Desk (phone)"
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor_label == "Alice"
    ack = OutboundMail.objects.get(purpose="acknowledgement")
    assert ack.primary_to == "claire@acme.example" and ticket.ref in ack.subject
    page = agent.get(response["Location"]).content.decode()
    assert (
        f"{ticket.ref} is open; the acknowledgement is on its way to Claire@Acme.example." in page
    )


def test_a_client_whose_mail_bounces_is_given_the_reference_on_the_phone(agent, people):
    """The outbox sends no automatic mail to an address that bounces: the agent is not told
    that an acknowledgement is on its way, but to give the reference while on the phone."""
    Contact.objects.filter(pk=people.client.pk).update(mail_failing_since=MONDAY_10)

    response = call(agent, people)

    ticket = Ticket.objects.get()
    page = agent.get(response["Location"]).content.decode()
    assert f"{ticket.ref} is open; no mail goes to Claire@Acme.example, whose mail bounces" in page
    assert "the acknowledgement is on its way" not in page


@pytest.mark.parametrize("chosen", ["²", "99999999999999999999", "-1"])
def test_a_client_number_that_is_no_number_finds_nobody(agent, people, chosen):
    html = agent.get("/desk/new/", {"contact": chosen})
    assert html.status_code == 200  # the finder, not a 500
    assert 'type="radio" name="level"' not in html.content.decode()


def test_a_level_1_call_alerts_the_agents_on_duty(agent, people):
    call(agent, people, level="1")
    ticket = Ticket.objects.get()
    assert ticket.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_the_level_is_required_and_nothing_opens_without_it(agent, people):
    response = call(agent, people, level="")
    assert response.status_code == 422
    assert "Choose the level the client&#x27;s problem has." in response.content.decode()
    assert not Ticket.objects.exists() and not OutboundMail.objects.exists()


def test_files_come_with_the_call_within_the_desks_limit(agent, people):
    log = SimpleUploadedFile("export.log", b"40% ... stopped", content_type="text/plain")
    call(agent, people, attachments=log)
    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.messages.get(kind=MessageKind.PHONE).attachments.all()] == [
        "export.log"
    ]
    many = [SimpleUploadedFile(f"f{i}.txt", b"x", content_type="text/plain") for i in range(11)]
    assert call(agent, people, attachments=many).status_code == 422


def test_a_technician_cannot_open_one(client, people):
    client.force_login(people.technician)
    assert client.get("/desk/new/").status_code == 403
    assert call(client, people).status_code == 403
    assert not Ticket.objects.exists()
    assert 'href="/desk/new/"' not in client.get("/desk/").content.decode()


def test_the_page_speaks_the_readers_language(agent, people):
    html = agent.get(
        "/desk/new/", {"contact": people.client.pk}, HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "Neues Ticket für einen Kunden, der angerufen hat" in html
    assert "Ticket eröffnen und den Eingang bestätigen" in html


def test_the_reports_count_it_under_the_door_desk_phone(agent, client, people):
    call(agent, people)
    client.force_login(people.lead)
    week = "period=week&day=2026-11-23"
    doors = client.get(f"/desk/reports/doors.csv?{week}").content.decode()
    assert doors.lstrip("\ufeff").splitlines()[0] == "day,mail,portal,desk,api,total"
    assert "\r\n2026-11-23,0,0,1,0,1\r\n" in doors
    page = client.get(f"/desk/reports/?{week}").content.decode()
    assert re.search(r'<th scope="row">Desk \(phone\)</th><td class="num"><a [^>]*>1</a>', page)
