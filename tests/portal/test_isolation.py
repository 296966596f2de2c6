"""A client sees their own organisation's tickets and files; anything else is a 404."""

from __future__ import annotations

import pytest
from django.test import Client

from deskside.accounts.models import Contact
from deskside.tickets import actions
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import Attachment, Direction, MessageKind
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_ticket(people):
    return open_ticket(people.client, subject="Acme payroll export", text="Acme payroll text")


def test_another_organisation_gets_404_for_the_ticket_page(people, acme_ticket):
    olivier = signed_in(people.other_client)
    assert olivier.get(f"/portal/ticket/{acme_ticket.ref}/").status_code == 404


def test_another_organisation_gets_404_for_the_attachment(people, acme_ticket):
    attachment = Attachment.objects.get(message__ticket=acme_ticket)
    olivier = signed_in(people.other_client)
    assert olivier.get(f"/portal/file/{attachment.stored_name}/").status_code == 404


def test_another_organisation_cannot_reply(people, acme_ticket):
    olivier = signed_in(people.other_client)
    answer = olivier.post(f"/portal/ticket/{acme_ticket.ref}/", {"text": "I am in"})
    assert answer.status_code == 404
    assert not acme_ticket.messages.filter(text="I am in").exists()


def test_another_organisation_finds_nothing_by_search_or_page(people, acme_ticket):
    open_ticket(people.other_client, subject="Globex printer")
    olivier = signed_in(people.other_client)
    for query in ("payroll", acme_ticket.ref, "Acme"):
        page = olivier.get("/portal/", {"q": query}).content.decode()
        assert f">{acme_ticket.ref}</a>" not in page and "Acme payroll export" not in page
    assert "Globex printer" in olivier.get("/portal/").content.decode()
    assert olivier.get("/portal/?page=2").status_code == 404


def test_a_colleague_sees_the_ticket_and_its_files(people, acme_ticket):
    jan = signed_in(people.colleague)
    page = jan.get(f"/portal/ticket/{acme_ticket.ref}/")
    assert page.status_code == 200 and "Acme payroll text" in page.content.decode()
    attachment = Attachment.objects.get(message__ticket=acme_ticket)
    assert jan.get(f"/portal/file/{attachment.stored_name}/").status_code == 200


def test_internal_notes_and_their_files_never_reach_the_portal(people, acme_ticket):
    actions.add_note(
        acme_ticket, "INTERNAL: client is on the churn list", by=actions.Actor.staff(people.agent)
    )
    note = actions.add_system_message(
        acme_ticket,
        NewMessage(
            direction=Direction.INTERNAL,
            kind=MessageKind.NOTE,
            text="INTERNAL: see the attached audit",
            files=(NewFile("audit.txt", "text/plain", b"internal audit"),),
        ),
        by=actions.SYSTEM,
    ).posted
    actions.add_system_message(
        acme_ticket,
        NewMessage(direction=Direction.SYSTEM, kind=MessageKind.BOUNCE, text="SYSTEM: bounced"),
        by=actions.SYSTEM,
    )
    claire = signed_in(people.client)
    page = claire.get(f"/portal/ticket/{acme_ticket.ref}/").content.decode()
    assert "INTERNAL" not in page and "churn" not in page and "audit.txt" not in page
    assert "SYSTEM: bounced" not in page
    audit = note.attachments.get()
    assert claire.get(f"/portal/file/{audit.stored_name}/").status_code == 404


def test_malformed_references_are_404(people):
    claire = signed_in(people.client)
    for ref in ("CCS-abc", "XYZ-1", "CCS-999999999", "1"):
        assert claire.get(f"/portal/ticket/{ref}/").status_code == 404


def test_a_contact_without_an_organisation_sees_only_their_own(people):
    loner = Contact.objects.create(email="solo@freelance.example", language="en")
    mine = open_ticket(loner, subject="Solo problem")
    other_loner = Contact.objects.create(email="other@freelance.example")
    theirs = open_ticket(other_loner, subject="Other solo problem")
    client = signed_in(loner)
    assert client.get(f"/portal/ticket/{mine.ref}/").status_code == 200
    assert client.get(f"/portal/ticket/{theirs.ref}/").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in_for_tickets_and_files(acme_ticket):
    attachment = Attachment.objects.get(message__ticket=acme_ticket)
    for path in (f"/portal/ticket/{acme_ticket.ref}/", f"/portal/file/{attachment.stored_name}/"):
        answer = Client().get(path)
        assert answer.status_code == 302 and answer["Location"].startswith("/portal/signin/")
