"""A refusal carries a stable code, an English sentence for the desk and the logs, and the same
sentence in the client's language for the portal."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from deskside.core.errors import ErrorCode
from deskside.tickets.errors import ActionError

CLOSED = _("%(ref)s is closed: cannot %(doing)s.")
REFUSING = _("record a refusal")


def test_str_is_english_whatever_the_active_language():
    with translation.override("nl"):
        error = ActionError(ErrorCode.TICKET_CLOSED, CLOSED, ref="DS-7", doing=REFUSING)
    assert error.code == ErrorCode.TICKET_CLOSED
    assert error.code.value == "ticket_closed"  # what the API returns
    assert str(error) == "DS-7 is closed: cannot record a refusal."


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("en", "DS-7 is closed: cannot record a refusal."),
        ("nl", "DS-7 is gesloten: een weigering doorgeven kan niet meer."),
        ("fr", "DS-7 est clôturé : vous ne pouvez plus enregistrer un refus."),
        ("de", "DS-7 ist geschlossen. Nicht mehr möglich: eine Ablehnung erfassen."),
    ],
)
def test_localized_is_in_the_active_language_parameters_too(language, sentence):
    error = ActionError(ErrorCode.TICKET_CLOSED, CLOSED, ref="DS-7", doing=REFUSING)
    with translation.override(language):
        assert error.localized() == sentence


PORTAL_SENTENCES = [
    "%(ref)s is closed: cannot %(doing)s.",
    "%(ref)s is resolved: cannot %(doing)s.",
    "record a refusal",
    "say the steps worked",
    "%(ref)s has no proposed steps to refuse.",
    "%(ref)s has no proposed steps.",
    "Severity must be 1, 2, 3 or 4, not %(level)s.",
]


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
@pytest.mark.parametrize("sentence", PORTAL_SENTENCES)
def test_the_refusals_a_client_can_meet_are_translated(language, sentence):
    with translation.override(language):
        assert translation.gettext(sentence) != sentence


def test_codes_are_snake_case_and_distinct():
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    assert all(value == value.lower() and " " not in value for value in values)
