"""The pages shown on an error speak the reader's language and send them back where they were:
a client of another organisation who follows a link gets a 404 in their own language with a way
back to their tickets, a form that outlived its CSRF token says so, and a failure of ours says
that what was being sent may not have been saved."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error

from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db


def test_a_client_of_another_organisation_gets_a_404_in_french_with_a_way_back(people):
    ticket = open_ticket(people.client, subject="Acme payroll export")
    olivier = signed_in(people.other_client)  # Olivier reads French
    page = olivier.get(f"/portal/ticket/{ticket.ref}/")
    html = page.content.decode()
    assert page.status_code == 404
    assert '<html lang="fr">' in html and "Page introuvable" in html
    assert '<a href="/portal/">Retour à vos tickets</a>' in html
    assert "Acme payroll export" not in html and ticket.ref not in html


def test_an_unknown_desk_page_is_a_404_with_a_way_back_to_the_desk(people, client):
    client.force_login(people.agent)
    page = client.get("/desk/ticket/CCS-999999999/")
    html = page.content.decode()
    assert page.status_code == 404
    assert "Page not found" in html and '<a href="/">Back to the desk</a>' in html


def test_a_form_sent_without_its_csrf_token_is_refused_in_the_readers_language(db):
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["deskside_language"] = "de"
    page = browser.post("/portal/signin/", {"email": "claire@acme.example"})
    html = page.content.decode()
    assert page.status_code == 403
    assert "Dieses Formular ist abgelaufen" in html and "Nichts wurde gespeichert" in html


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "it may not have been saved"),
        ("nl", "misschien niet opgeslagen"),
        ("fr", "peut-être pas été enregistré"),
        ("de", "vielleicht nicht gespeichert"),
    ],
)
def test_our_own_failure_says_so_honestly_in_the_readers_language(language, phrase):
    with translation.override(language):
        page = server_error(RequestFactory().get("/portal/"))
    html = page.content.decode()
    assert page.status_code == 500
    assert phrase in html and f'<html lang="{language}">' in html
