"""The severity tag reader (docs/protocol.md, Severity in the subject): a table of real-looking
subjects plus properties."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskside.core.severity import (
    Result,
    SeverityReading,
    read_severity,
    strip_reply_prefixes,
)
from tests.core.severity_cases import ALL_CASES, Case

PROPERTY_SETTINGS = settings(derandomize=True, max_examples=300, deadline=None)


def _expected(case: Case) -> SeverityReading:
    level = case.levels[0] if case.result is Result.FOUND else None
    return SeverityReading(case.result, level, case.levels)


# --- the table ---------------------------------------------------------------------------


def test_table_is_large_and_ids_are_unique() -> None:
    assert len(ALL_CASES) >= 150
    assert len({case.id for case in ALL_CASES}) == len(ALL_CASES)


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.id for case in ALL_CASES])
def test_reads_subject(case: Case) -> None:
    assert read_severity(case.subject) == _expected(case)


def test_check_subject_json_for_found() -> None:
    assert json.dumps(read_severity("Re: Sev 2 - export fails").as_dict()) == (
        '{"result": "found", "level": 2, "levels": [2]}'
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Export fails", {"result": "missing", "level": None, "levels": []}),
        ("Severity 5", {"result": "invalid", "level": None, "levels": [5]}),
        ("Sev 3 ... Sev 1", {"result": "ambiguous", "level": None, "levels": [1, 3]}),
    ],
    ids=["missing", "invalid", "ambiguous-sorted"],
)
def test_check_subject_dict(subject: str, expected: dict[str, object]) -> None:
    assert read_severity(subject).as_dict() == expected


# --- strip_reply_prefixes ----------------------------------------------------------------

PREFIX_STRIPPING = [
    ("Re: Export fails", "Export fails"),
    ("RE: Export fails", "Export fails"),
    ("re: export fails", "export fails"),
    ("Fwd: Export fails", "Export fails"),
    ("FW: Export fails", "Export fails"),
    ("Fw: Export fails", "Export fails"),
    ("AW: Export hängt", "Export hängt"),
    ("WG: Export hängt", "Export hängt"),
    ("Antwort: Probleme ADB", "Probleme ADB"),
    ("Antw: Export traag", "Export traag"),
    ("Antwoord: Export traag", "Export traag"),
    ("Doorst: Export traag", "Export traag"),
    ("TR: Export impossible", "Export impossible"),
    ("RE : Export impossible", "Export impossible"),
    ("TR : RE : Export impossible", "Export impossible"),
    ("Réf : Export impossible", "Export impossible"),
    ("RÉF: Export impossible", "Export impossible"),
    ("Re[2]: Export fails", "Export fails"),
    ("Re(3): Export fails", "Export fails"),
    ("Re^2: Export fails", "Export fails"),
    ("Re:Re: Export fails", "Export fails"),
    ("Re:Re:Export fails", "Export fails"),
    ("Re: Fwd: AW: WG: Antw: Doorst: TR: Export", "Export"),
    ("  Re:  Export fails", "Export fails"),
    ("Re\u00a0: Export", "Export"),
    ("Re：Export", "Export"),
    ("Export fails", "Export fails"),
    ("Export fails Re: again", "Export fails Re: again"),
    ("Regarding: export", "Regarding: export"),
    ("Tracking: export", "Tracking: export"),
    ("Fwd Export without colon", "Fwd Export without colon"),
    ("Re: ", ""),
    ("", ""),
]


@pytest.mark.parametrize(
    ("subject", "stripped"), PREFIX_STRIPPING, ids=[s or "empty" for s, _ in PREFIX_STRIPPING]
)
def test_strip_reply_prefixes(subject: str, stripped: str) -> None:
    assert strip_reply_prefixes(subject) == stripped


# --- properties --------------------------------------------------------------------------

# Realistic words without a severity keyword or an S-digit word: version numbers, products,
# dates, priorities and the four languages.
NOISE_WORDS = [
    "export", "fails", "since", "upgrade", "to", "v2.3", "Windows", "10", "Office", "365",
    "EC2", "P1", "Priority", "Prio", "2", "urgent", "!!!", "-", "–", "/", "(P2)", "[CCS-1042]",
    "2026-04-01", "1/4", "release", "4.1", "facture", "manquante", "Rechnung", "fehlt",
    "rapport", "traag", "Prioriteit", "Priorité", "Priorität", "level", "niveau", "Stufe",
    "severe", "Seveso", "Gravitation", "Ernstig", "schwerer", "#3", "users", "1.5", "Ü", "é",
]  # fmt: skip

VALID_TAGS = [
    ("Severity 1", 1), ("Severity level 2", 2), ("Sev-3", 3), ("SEV4", 4),
    ("(severity: 1)", 1), ("Severity #3", 3), ("Ernst 2", 2), ("Ernstniveau 2", 2),
    ("Sévérité 1", 1), ("Severite 4", 4), ("Gravité 3", 3), ("Niveau de gravité 3", 3),
    ("Schweregrad 4", 4), ("[S2]", 2), ("(S1)", 1), ("Schwere 1", 1), ("sev: 2", 2),
]  # fmt: skip

REPLY_PREFIX_WORDS = [
    "Re:", "RE:", "re:", "Fwd:", "FW:", "Fw:", "AW:", "WG:", "Antw:", "Antwort:", "Doorst:",
    "TR:", "RE :", "Réf :", "Re[2]:", "Re(3):", "Re^2:",
]  # fmt: skip

noise = st.lists(st.sampled_from(NOISE_WORDS), max_size=6)
prefix_run = st.lists(st.tuples(st.sampled_from(REPLY_PREFIX_WORDS), st.sampled_from(["", " "])))
cases = st.sampled_from(ALL_CASES)


@PROPERTY_SETTINGS
@given(tag=st.sampled_from(VALID_TAGS), before=noise, after=noise)
def test_noise_around_a_tag_never_changes_the_level(
    tag: tuple[str, int], before: list[str], after: list[str]
) -> None:
    text, level = tag
    subject = " ".join([*before, text, *after])
    assert read_severity(subject) == SeverityReading(Result.FOUND, level, (level,))


@PROPERTY_SETTINGS
@given(case=cases, prefixes=prefix_run)
def test_reply_prefixes_never_change_the_reading(
    case: Case, prefixes: list[tuple[str, str]]
) -> None:
    subject = "".join(word + space for word, space in prefixes) + case.subject
    assert read_severity(subject) == _expected(case)


@PROPERTY_SETTINGS
@given(case=cases, flips=st.lists(st.booleans(), min_size=80, max_size=80))
def test_case_never_changes_the_reading(case: Case, flips: list[bool]) -> None:
    subject = "".join(
        char.swapcase() if flip else char for char, flip in zip(case.subject, flips, strict=False)
    )
    subject += case.subject[len(flips) :]
    assert read_severity(subject) == _expected(case)


@PROPERTY_SETTINGS
@given(
    first=st.sampled_from(NOISE_WORDS),
    rest=st.lists(st.sampled_from([*NOISE_WORDS, "S3", "S2", "S1:", "(S3 bucket)"]), max_size=8),
    separator=st.sampled_from([" ", " - ", ": ", ", ", " / ", "_"]),
)
def test_subject_without_keyword_or_short_form_is_missing(
    first: str, rest: list[str], separator: str
) -> None:
    # S-words appear only after the first word and never alone in brackets.
    subject = separator.join([first, *rest])
    assert read_severity(subject) == SeverityReading(Result.MISSING, None, ())


KEYWORD_STEMS = ("sev", "ernst", "gravit", "schwere")


@PROPERTY_SETTINGS
@given(subject=st.text(max_size=60))
def test_any_text_gets_a_consistent_reading(subject: str) -> None:
    reading = read_severity(subject)
    assert list(reading.levels) == sorted(set(reading.levels))
    if reading.result is Result.FOUND:
        assert reading.level in range(1, 5)
        assert reading.levels == (reading.level,)
    else:
        assert reading.level is None
    if not any(stem in subject.casefold() for stem in KEYWORD_STEMS) and "s" not in (
        subject.casefold()
    ):
        assert reading.result is Result.MISSING
