"""Detecting the client's language (en/nl/fr/de) from the mail text."""

from __future__ import annotations

import time

import pytest

from deskside.mail.language import detect


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "Hello, the export has been failing since this morning and we cannot send invoices. "
            "Could you please have a look? Thanks and regards",
            "en",
        ),
        (
            "Goedemorgen, de export werkt sinds vanochtend niet meer en wij kunnen geen facturen "
            "versturen. Kunnen jullie dit graag bekijken? Alvast bedankt, met vriendelijke groeten",
            "nl",
        ),
        (
            "Bonjour, l'export ne fonctionne plus depuis ce matin et nous ne pouvons pas envoyer "
            "les factures. Pouvez-vous regarder? Merci et cordialement",
            "fr",
        ),
        (
            "Guten Morgen, der Export funktioniert seit heute früh nicht mehr und wir können keine "
            "Rechnungen versenden. Können Sie bitte nachsehen? Danke und viele Grüße",
            "de",
        ),
    ],
)
def test_each_language_is_recognised(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize("text", ["", "OK", "12345 !!!", "Export KO", "Sev 1 prod down"])
def test_too_little_evidence_gives_none(text: str) -> None:
    assert detect(text) is None


def test_a_mix_without_a_clear_winner_gives_none() -> None:
    assert detect("the and is you der die und ist") is None


def test_only_the_start_of_a_long_text_is_read_and_it_is_fast() -> None:
    text = "Bonjour, nous avons un problème avec la facture. " * 45 + "the and is was you " * 50_000
    started = time.perf_counter()
    assert detect(text) == "fr"
    assert time.perf_counter() - started < 0.01
