"""The organisation's tickets, the conversation, replies with files, and downloads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deskside.portal import forms
from deskside.tickets import actions
from deskside.tickets.models import Attachment, Direction, MessageKind, Status
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db


def shows(page: str, ticket) -> bool:
    return f">{ticket.ref}</a>" in page


def test_home_lists_the_organisations_tickets(people):
    claire = open_ticket(people.client, subject="Export fails", level=2)
    jan = open_ticket(people.colleague, subject="Login is slow", level=3)
    open_ticket(people.other_client, subject="Globex printer")
    page = signed_in(people.client).get("/portal/").content.decode()
    for ticket in (claire, jan):
        assert ticket.ref in page and ticket.subject in page
    assert "Globex printer" not in page
    assert 'class="level level-2"' in page and "Ontvangen" in page  # status "Received", in nl


def test_home_is_paginated(people):
    tickets = [open_ticket(people.client, subject=f"Problem {n:02d}") for n in range(30)]
    client = signed_in(people.client)
    first = client.get("/portal/").content.decode()
    second = client.get("/portal/?page=2").content.decode()
    assert shows(first, tickets[-1]) and not shows(first, tickets[0])
    assert shows(second, tickets[0]) and "Pagina 2 van 2" in second
    assert client.get("/portal/?page=3").status_code == 404
    assert client.get("/portal/?page=abc").status_code == 404


def test_search_by_subject_or_reference(people):
    export = open_ticket(people.client, subject="Export fails")
    other = open_ticket(people.client, subject="Login is slow")
    client = signed_in(people.client)
    by_word = client.get("/portal/?q=export").content.decode()
    assert shows(by_word, export) and not shows(by_word, other)
    by_ref = client.get(f"/portal/?q={other.ref.lower()}").content.decode()
    assert shows(by_ref, other) and not shows(by_ref, export)


def test_the_ticket_page_shows_the_conversation(people):
    ticket = open_ticket(people.client, subject="Export fails", text="The export button fails.")
    actions.reply(
        ticket, "Please try again after clearing the cache.", by=actions.Actor.staff(people.agent)
    )
    page = signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    assert "The export button fails." in page
    assert "Please try again after clearing the cache." in page
    assert "report.pdf" in page
    assert page.index("The export button fails.") < page.index("Please try again")


def test_sanitised_mail_html_is_rendered_as_html(people):
    ticket = open_ticket(people.client)
    actions.receive_from_client(
        ticket,
        actions.NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="Bold news",
            html="<p><b>Bold news</b></p>",
            sender=people.client.email,
        ),
        by=actions.Actor.sender(people.client.email),
    )
    page = signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    assert "<p><b>Bold news</b></p>" in page


def test_a_reply_with_files_is_added_and_ends_the_wait(people):
    ticket = open_ticket(people.client)
    actions.wait_on_client(ticket, by=actions.Actor.staff(people.agent))
    client = signed_in(people.colleague)
    answer = client.post(
        f"/portal/ticket/{ticket.ref}/",
        {
            "text": "Cache cleared, still failing.",
            "attachments": [
                SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png"),
                SimpleUploadedFile("log.txt", b"error 42", content_type="text/plain"),
            ],
        },
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/portal/ticket/{ticket.ref}/#reply"
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    message = ticket.messages.get(text="Cache cleared, still failing.")
    assert (message.direction, message.kind, message.sender) == (
        Direction.INBOUND,
        MessageKind.WEB,
        "jan@acme.example",
    )
    assert sorted(message.attachments.values_list("filename", flat=True)) == [
        "log.txt",
        "screen.png",
    ]
    page = client.get(answer["Location"]).content.decode()
    assert "Cache cleared, still failing." in page and "screen.png" in page


def test_an_empty_reply_is_refused_with_a_message(people):
    ticket = open_ticket(people.client)
    page = signed_in(people.client).post(f"/portal/ticket/{ticket.ref}/", {"text": ""})
    assert page.status_code == 200
    assert "Schrijf een paar woorden" in page.content.decode()
    assert ticket.messages.count() == 1


def test_files_over_the_limit_are_refused_with_a_message(people, monkeypatch):
    monkeypatch.setattr(forms.ReplyForm.base_fields["attachments"], "most_bytes", 10)
    ticket = open_ticket(people.other_client)
    page = signed_in(people.other_client).post(
        f"/portal/ticket/{ticket.ref}/",
        {"text": "Here is the dump", "attachments": SimpleUploadedFile("dump.bin", b"x" * 20)},
    )
    assert page.status_code == 200
    assert "les fichiers dépassent la limite de 10" in page.content.decode()  # Olivier: French
    assert ticket.messages.count() == 1


def test_an_attachment_downloads_as_a_file(people):
    ticket = open_ticket(people.client)
    attachment = Attachment.objects.get(message__ticket=ticket)
    answer = signed_in(people.client).get(f"/portal/file/{attachment.stored_name}/")
    assert answer.status_code == 200
    assert answer["Content-Disposition"].startswith("attachment;")
    assert 'filename="report.pdf"' in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer.getvalue() == b"%PDF-1.4 acme report"


def test_a_lower_case_reference_leads_to_the_ticket(people):
    ticket = open_ticket(people.client)
    answer = signed_in(people.client).get(f"/portal/ticket/{ticket.ref.lower()}/")
    assert answer.status_code == 302 and answer["Location"] == f"/portal/ticket/{ticket.ref}/"
