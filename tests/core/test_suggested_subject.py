"""The subject the protocol's explanation suggests (docs/protocol.md, "No severity"): the
client's subject with every tag cut out and one valid tag in front, so that a client who does
exactly as told is never refused again."""

from __future__ import annotations

import pytest

from deskside.core.severity import Result, read_severity, suggested_subject, without_tags
from tests.core.severity_cases import ALL_CASES, Case

REFUSED = [c for c in ALL_CASES if c.result in (Result.INVALID, Result.AMBIGUOUS)]
KEYWORDS = ["Severity", "Ernst", "Gravité", "Schweregrad"]


def test_the_tables_hold_refused_subjects_to_check() -> None:
    assert len(REFUSED) >= 10  # an empty table would make the tests below pass vacuously


@pytest.mark.parametrize("keyword", KEYWORDS)
@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_every_refused_subject_gets_a_suggestion_that_reads_as_found(
    case: Case, keyword: str
) -> None:
    suggestion = suggested_subject(case.subject, keyword=keyword)

    reading = read_severity(suggestion)
    assert (reading.result, reading.level) == (Result.FOUND, 2), suggestion
    assert suggestion.startswith(f"{keyword} 2")


@pytest.mark.parametrize(
    ("subject", "rest"),
    [
        ("Severity 2 - Sev 1 or Sev 3? Export job stuck", "Export job stuck"),
        ("[Sev 5] Export broken", "Export broken"),
        ("Re: Severity 0 - printer", "printer"),
        ("Sévérité 1 ou gravité 3 ? panne d'impression", "panne d'impression"),
        ("Schweregrad 7: Frage zum Export", "Frage zum Export"),
        ("Ernst 1 en Ernst 2", ""),
        ("Our S3 bucket is slow (Sev 9)", "Our S3 bucket is slow"),
        ("S5: Galaxy app crashes", "S5: Galaxy app crashes"),
    ],
)
def test_the_tags_are_cut_and_the_words_around_them_kept(subject: str, rest: str) -> None:
    assert without_tags(subject) == rest


def test_a_subject_of_tags_alone_suggests_the_tag_alone() -> None:
    assert suggested_subject("Sev 1 / Sev 3", keyword="Ernst") == "Ernst 2"
