"""Every page a client sees speaks English, Dutch, French or German, and the switch sticks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from deskside.accounts.models import Contact
from deskside.tickets.models import Attachment
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parents[2] / "deskside" / "locale"
# One phrase per page and language, written by a person, not copied from the catalogue.
PAGES = {
    "/portal/": {
        "nl": "Zoeken op referentie",
        "fr": "Rechercher par référence",
        "de": "Nach Referenz",
    },
    "/portal/new/": {
        "nl": "Kies het niveau",
        "fr": "Choisissez le niveau",
        "de": "Wählen Sie die Stufe",
    },
    "/portal/report/": {
        "nl": "Wat we beloofden",
        "fr": "Ce que nous avons promis",
        "de": "Was wir versprochen",
    },
    "TICKET": {"nl": "Alle tickets", "fr": "Tous les tickets", "de": "Alle Tickets"},
    "/portal/password/": {
        "nl": "Kies een wachtwoord",
        "fr": "Choisissez un mot de passe",
        "de": "Wählen Sie ein Passwort",
    },
}
NAV = {"en": "New ticket", "nl": "Nieuw ticket", "fr": "Nouveau ticket", "de": "Neues Ticket"}


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_every_portal_page_speaks_the_contacts_language(people, language):
    Contact.objects.filter(pk=people.client.pk).update(language=language)
    ticket = open_ticket(people.client)
    client = signed_in(people.client)
    for path, phrases in PAGES.items():
        url = f"/portal/ticket/{ticket.ref}/" if path == "TICKET" else path
        page = client.get(url)
        html = page.content.decode()
        assert page.status_code == 200, url
        assert phrases[language] in html, (url, language)
        assert NAV[language] in html and f'<html lang="{language}">' in html
        assert page["Content-Language"] == language


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("en", "Get a sign-in link by mail"),
        ("nl", "Ontvang een aanmeldlink per mail"),
        ("fr", "Recevoir un lien de connexion par e-mail"),
        ("de", "Anmeldelink per E-Mail erhalten"),
    ],
)
def test_the_sign_in_pages_follow_the_language_cookie(language, phrase, db):
    client = Client()
    client.cookies["deskside_language"] = language
    assert phrase in client.get("/portal/signin/").content.decode()


def test_the_switch_saves_the_language_on_the_contact(people):
    client = signed_in(people.client)
    answer = client.post("/portal/language/", {"language": "de", "next": "/portal/new/"})
    assert answer.status_code == 302 and answer["Location"] == "/portal/new/"
    assert answer.cookies["deskside_language"].value == "de"
    people.client.refresh_from_db()
    assert people.client.language == "de"
    assert "Neues Ticket" in client.get("/portal/").content.decode()


def test_the_saved_language_wins_over_an_old_cookie(people):
    client = signed_in(people.client)  # Claire reads Dutch
    client.cookies["deskside_language"] = "fr"
    page = client.get("/portal/")
    assert "Nieuw ticket" in page.content.decode()
    assert page.cookies["deskside_language"].value == "nl"


def test_the_switch_works_before_signing_in_and_refuses_other_sites(db):
    client = Client()
    answer = client.post(
        "/portal/language/", {"language": "fr", "next": "https://evil.example/phish"}
    )
    assert answer["Location"] == "/portal/"
    assert "Recevoir un lien de connexion" in client.get("/portal/signin/").content.decode()
    assert client.get("/portal/language/").status_code == 405


def test_the_switch_refuses_an_unknown_language(people):
    client = signed_in(people.client)
    client.post("/portal/language/", {"language": "xx"})
    people.client.refresh_from_db()
    assert people.client.language == "nl"


def test_downloads_and_links_work_whatever_the_language(people):
    ticket = open_ticket(people.client)
    attachment = Attachment.objects.get(message__ticket=ticket)
    client = signed_in(people.client)
    client.post("/portal/language/", {"language": "fr"})
    assert client.get(f"/portal/file/{attachment.stored_name}/").status_code == 200


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_every_portal_text_is_translated_and_compiled(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, "run compilemessages"
    untranslated = []
    for entry in po.read_text(encoding="utf-8").split("\n\n")[1:]:
        # The portal's own texts, and the project's templates (base, error pages).
        if not re.search(r"^#: (.* )?(portal/|templates/)", entry, re.M):
            continue
        if "#, fuzzy" in entry:
            untranslated.append(entry)
        strings = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', entry + "\n", re.M)
        if not strings or any(not "".join(re.findall(r'"(.*)"', s)) for s in strings):
            untranslated.append(entry)
    assert not untranslated, "\n\n".join(untranslated)
