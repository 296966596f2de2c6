"""Durations in business words: what a lead writes in the admin, and what the admin shows back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskside.core.durations import FORMAT_HINT, DurationError, format_duration, parse_duration

DAY = timedelta(hours=8)  # a Brussels business day, 09:00-17:00
H = timedelta(hours=1)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30 min", 30 * MIN),
        ("8 h", 8 * H),
        ("3 business days", 24 * H),
        ("1 business day", 8 * H),
        ("2 days", 16 * H),
        ("1 business day 4 h", 12 * H),
        ("1 h 30 min", 90 * MIN),
        ("1h30min", 90 * MIN),
        ("2 hours, 15 minutes", 135 * MIN),
        ("1 hour and 5 minutes", 65 * MIN),
        ("1.5 h", 90 * MIN),
        ("0,5 business days", 4 * H),
        ("  80 H ", 80 * H),
        ("10 Business  Days", 80 * H),
        ("45 s", timedelta(seconds=45)),
        ("0 min", timedelta(0)),
    ],
)
def test_a_lead_writes_business_durations(text, expected):
    assert parse_duration(text, DAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "3",  # no unit: hours? days? the lead must say
        "1 day, 0:00:00",  # Python's timedelta, which meant 24 business hours
        "16:00:00",
        "8 hours please",
        "-3 h",
        "3 weeks",
        "0.1 s",
        "h 3",
        "1e400 h",
    ],
)
def test_anything_else_is_refused_with_the_format_hint(text):
    with pytest.raises(DurationError) as refused:
        parse_duration(text, DAY)
    assert str(refused.value).endswith(FORMAT_HINT)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (30 * MIN, "30 min"),
        (2 * H, "2 h"),
        (8 * H, "1 business day"),
        (24 * H, "3 business days"),  # Python says "1 day, 0:00:00"
        (80 * H, "10 business days"),
        (12 * H, "1 business day 4 h"),
        (90 * MIN, "1 h 30 min"),
        (timedelta(0), "0 min"),
        (timedelta(minutes=1, seconds=5), "1 min 5 s"),
    ],
)
def test_the_admin_shows_business_words_never_a_timedelta(duration, words):
    assert format_duration(duration, DAY) == words


def test_a_business_day_is_the_calendars_day():
    seven_and_a_half = timedelta(hours=7, minutes=30)
    assert format_duration(15 * H, seven_and_a_half) == "2 business days"
    assert parse_duration("2 business days", seven_and_a_half) == 15 * H


def test_negative_or_fractional_durations_have_no_words():
    with pytest.raises(ValueError):
        format_duration(-H, DAY)
    with pytest.raises(ValueError):
        format_duration(timedelta(microseconds=1), DAY)


seconds = st.integers(min_value=0, max_value=10**9).map(lambda s: timedelta(seconds=s))
business_days = st.integers(min_value=1, max_value=24 * 60).map(lambda m: timedelta(minutes=m))


@given(seconds, business_days)
def test_every_duration_reads_back_as_itself(duration, business_day):
    assert parse_duration(format_duration(duration, business_day), business_day) == duration


@given(st.text(max_size=40))
def test_any_text_is_a_duration_or_a_clear_refusal(text):
    try:
        duration = parse_duration(text, DAY)
    except DurationError as refused:
        assert FORMAT_HINT in str(refused)
    else:
        assert duration >= timedelta(0)
        assert parse_duration(format_duration(duration, DAY), DAY) == duration
