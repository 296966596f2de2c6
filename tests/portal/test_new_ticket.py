"""The new-ticket form: a level is required, and the picker explains each level."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from deskside.tickets.models import Direction, MessageKind, SeverityLevel, Status, Ticket
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_picker_shows_the_four_levels_with_their_definitions(people):
    page = signed_in(people.other_client).get("/portal/new/").content.decode()  # French
    for level in SeverityLevel.objects.all():
        assert escape(level.name_fr) in page
        assert escape(level.definition_fr) in page
    assert page.count('type="radio" name="level"') == 4


def test_a_ticket_without_a_level_is_refused_with_a_message(people):
    page = signed_in(people.client).post(
        "/portal/new/", {"subject": "Export fails", "description": "Since this morning."}
    )
    assert page.status_code == 200
    assert "Kies het ernstniveau dat bij uw probleem past" in page.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_level_is_refused(people):
    page = signed_in(people.client).post(
        "/portal/new/", {"subject": "Export fails", "description": "Hm.", "level": "7"}
    )
    assert page.status_code == 200
    assert not Ticket.objects.exists()


def test_a_new_ticket_opens_at_the_chosen_level_and_is_shown(people):
    client = signed_in(people.client)
    answer = client.post(
        "/portal/new/",
        {
            "subject": "Invoices are wrong",
            "description": "The totals are off by 21%.",
            "level": "3",
            "attachments": SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 x", "application/pdf"),
        },
    )
    ticket = Ticket.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/portal/ticket/{ticket.ref}/"
    assert (ticket.claimed_severity, ticket.severity, ticket.status) == (3, 3, Status.NEW)
    assert ticket.organisation == people.acme and ticket.language == "nl"
    assert ticket.first_response_due is not None
    message = ticket.messages.get()
    assert (message.direction, message.kind, message.sender) == (
        Direction.INBOUND,
        MessageKind.WEB,
        "Claire@Acme.example",
    )
    assert message.attachments.get().filename == "invoice.pdf"
    page = client.get(answer["Location"]).content.decode()
    assert "Invoices are wrong" in page and "The totals are off by 21%." in page
    assert f"Uw ticket {ticket.ref} is geopend" in page


def test_a_file_name_is_cleaned_before_it_is_stored(people):
    signed_in(people.client).post(
        "/portal/new/",
        {
            "subject": "Odd file",
            "description": "See file.",
            "level": "4",
            "attachments": SimpleUploadedFile("../../invoice\u202efdp.exe", b"MZ"),
        },
    )
    assert Ticket.objects.get().messages.get().attachments.get().filename == "invoicefdp.exe"


def test_the_portal_allows_what_the_desk_allows_and_says_so(people):
    """One limit for both: what a client attaches, an agent can send on in a reply."""
    from deskside.desk.forms import REPLY_FILES_MAX_BYTES, REPLY_FILES_MAX_COUNT
    from deskside.portal.forms import MAX_FILES, MAX_UPLOAD

    assert (MAX_UPLOAD, MAX_FILES) == (REPLY_FILES_MAX_BYTES, REPLY_FILES_MAX_COUNT)
    client = signed_in(people.client)  # Claire reads Dutch
    page = client.get("/portal/new/").content.decode()
    assert "Optioneel; hoogstens 10 bestanden, samen maximaal 15 MB." in page

    too_big = client.post(
        "/portal/new/",
        {
            "subject": "Logs attached",
            "description": "The night's log.",
            "level": "3",
            "attachments": SimpleUploadedFile("night.log", b"a" * (MAX_UPLOAD + 1), "text/plain"),
        },
    )
    said = "Samen zijn de bestanden groter dan de limiet van 15,0\xa0MB."
    assert said in too_big.content.decode()
    assert not Ticket.objects.exists()
