"""Opening hours and the next opening, as a client reads them in each language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deskside.core.business_time import Calendar
from deskside.core.opening_words import describe_hours_and_next_opening

BRUSSELS = ZoneInfo("Europe/Brussels")
CAL = Calendar.brussels()
FRIDAY_EVENING = datetime(2026, 11, 27, 19, 30, tzinfo=BRUSSELS)
# Easter Monday 6 April 2026 is a holiday: mail from Good Friday evening waits until Tuesday.
GOOD_FRIDAY_EVENING = datetime(2026, 4, 3, 18, 0, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "We read mail Monday to Friday, 09:00–17:00 Brussels time. "
            "Your mail will be read on Monday 30 November at 09:00.",
        ),
        (
            "nl",
            "Wij lezen de mail van maandag tot en met vrijdag, van 09:00 tot 17:00 "
            "(Brusselse tijd). Uw mail wordt gelezen op maandag 30 november om 09:00.",
        ),
        (
            "fr",
            "Nous lisons le courrier du lundi au vendredi, de 09:00 à 17:00 "
            "(heure de Bruxelles). Votre message sera lu le lundi 30 novembre à 09:00.",
        ),
        (
            "de",
            "Wir lesen E-Mails von Montag bis Freitag, von 09:00 bis 17:00 Uhr "
            "(Brüsseler Zeit). Ihre E-Mail wird am Montag, 30. November um 09:00 Uhr gelesen.",
        ),
    ],
)
def test_friday_evening_in_each_language(language, expected):
    assert describe_hours_and_next_opening(CAL, FRIDAY_EVENING, language) == expected


@pytest.mark.parametrize(
    ("language", "next_opening"),
    [
        ("en", "Your mail will be read on Tuesday 7 April at 09:00."),
        ("nl", "Uw mail wordt gelezen op dinsdag 7 april om 09:00."),
        ("fr", "Votre message sera lu le mardi 7 avril à 09:00."),
        ("de", "Ihre E-Mail wird am Dienstag, 7. April um 09:00 Uhr gelesen."),
    ],
)
def test_next_opening_skips_easter_monday(language, next_opening):
    text = describe_hours_and_next_opening(CAL, GOOD_FRIDAY_EVENING, language)
    assert text.endswith(next_opening)


def test_new_years_eve_names_the_year_and_skips_new_years_day():
    text = describe_hours_and_next_opening(
        CAL, datetime(2026, 12, 31, 18, 0, tzinfo=BRUSSELS), "fr"
    )
    assert text.endswith("Votre message sera lu le lundi 4 janvier 2027 à 09:00.")


def test_first_of_the_month_in_french():
    text = describe_hours_and_next_opening(
        CAL, datetime(2026, 11, 30, 18, 0, tzinfo=BRUSSELS), "fr"
    )
    assert text.endswith("le mardi 1er décembre à 09:00.")


def test_unknown_language_falls_back_to_english_and_regions_use_their_language():
    assert describe_hours_and_next_opening(CAL, FRIDAY_EVENING, "es").startswith("We read mail")
    assert describe_hours_and_next_opening(CAL, FRIDAY_EVENING, "nl-BE").startswith("Wij lezen")


def test_open_now():
    during = datetime(2026, 11, 30, 10, 0, tzinfo=BRUSSELS)
    assert describe_hours_and_next_opening(CAL, during, "en").endswith("We are reading mail now.")


def test_lunch_break_and_a_short_friday():
    cal = Calendar.from_data(
        "Europe/Brussels",
        [(d, "09:00", "12:00") for d in range(4)]
        + [(d, "13:00", "17:00") for d in range(4)]
        + [(4, "09:00", "15:00")],
        "BE",
    )
    assert describe_hours_and_next_opening(cal, FRIDAY_EVENING, "en").startswith(
        "We read mail Monday to Thursday, 09:00–12:00 and 13:00–17:00; Friday, 09:00–15:00 "
        "Brussels time."
    )
    assert describe_hours_and_next_opening(cal, FRIDAY_EVENING, "de").startswith(
        "Wir lesen E-Mails von Montag bis Donnerstag, von 09:00 bis 12:00 Uhr und von 13:00 "
        "bis 17:00 Uhr; am Freitag, von 09:00 bis 15:00 Uhr (Brüsseler Zeit)."
    )
