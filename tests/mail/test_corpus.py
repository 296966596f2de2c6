"""Parse every message of the mail corpus (tests/mail/corpus) and check what the upstream projects
expect.

Each stated expectation is one test. Where Deskside deliberately differs from upstream, the case
is listed in KNOWN_DIFFERENCES with the reason and marked xfail(strict=True): if it starts
passing, the list must be updated.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest

from deskside.mail.parse import MailRejected, ParsedAttachment, ParsedMail, parse
from deskside.mail.quotes import fold


def corpus_dir() -> Path:
    configured = os.environ.get("DESKSIDE_CORPUS")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent / "corpus"


CORPUS = corpus_dir()
EXPECTED = CORPUS / "expected.jsonl"

# Messages we reject on purpose, with the reason we expect to give.
REJECTED = {"cpython/msg_19.eml": "no RFC 5322 header found"}

_GENERATED = "upstream invents names for unnamed parts; we generate 'attachment-N.ext'"
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {
    ("zammad/mail042.eml", "attachments"): _GENERATED,
    ("zammad/mail071.eml", "attachments"): _GENERATED,
    ("zammad/mail078.eml", "attachments"): _GENERATED + " (upstream uses the returned Subject)",
    ("zammad/mail092.eml", "attachments"): _GENERATED + " (upstream: Content-Description)",
    ("zammad/mail105.eml", "attachments"): _GENERATED,
    ("zammad/mail033-undelivered-mail-returned-to-sender-notification.eml", "attachments"): (
        _GENERATED + " (upstream uses the returned Subject)"
    ),
    ("django-helpdesk/pgp.eml", "attachments"): (
        "the signature part is named signature.asc in the message; upstream prefixes 'part-1_'"
    ),
    ("zammad/mail087.eml", "attachments"): (
        "the part without Content-Type is text/plain by RFC 2045 and inline, so we show it as "
        "body text; upstream stores it as an attachment 'file'"
    ),
    ("zammad/mail085.eml", "body_contains"): (
        "multipart/alternative: we take the text/plain alternative (RFC 2046: equivalent "
        "content); Apple Mail's plain part lacks the second HTML part that upstream renders"
    ),
    ("django-helpdesk/utf-nondecodable.eml", "body_contains"): (
        "the fixture's HTML alternative holds other text than its text/plain alternative; we "
        "take text/plain, upstream the HTML"
    ),
    ("mail-parser/mail_malformed_2.eml", "attachment_count"): (
        "we keep the returned message/rfc822-headers part as an attachment (nothing is dropped); "
        "mail-parser counts only the named delivery report"
    ),
    ("cpython/msg_47.eml", "defects"): (
        "upstream parses headers only; our full parse also sees the parts without a blank line "
        "after their headers (MissingHeaderBodySeparatorDefect)"
    ),
}

MAIL_KEYS = (
    "from_address", "from_name", "subject", "body_contains", "body_equals", "message_id",
    "attachments", "attachment_count", "attachments_include", "defects",
)  # fmt: skip
REPLY_KEYS = ("reply_visible_text", "reply_contains", "reply_excludes")


def load_entries() -> list[dict[str, Any]]:
    # A missing corpus must fail loudly, not skip: a silent skip would hide every case.
    assert EXPECTED.is_file(), f"mail corpus not found at {CORPUS} (set DESKSIDE_CORPUS)"
    return [json.loads(line) for line in EXPECTED.read_text().splitlines() if line.strip()]


ENTRIES = load_entries() if EXPECTED.is_file() else []


def test_corpus_is_present() -> None:
    assert len(load_entries()) >= 100


# A row of a <source>/SOURCE.md table: the file name first, its sha256 last.
_SOURCE_ROW = re.compile(r"^\| (?P<file>[^|`\s]+) \|.*`(?P<sha256>[0-9a-f]{64})` \|$", re.MULTILINE)


def test_every_file_keeps_its_upstream_bytes() -> None:
    # A checkout that converted line ends (core.autocrlf) would test other mail than upstream's.
    recorded = {
        f"{source.parent.name}/{row['file']}": row["sha256"]
        for source in CORPUS.glob("*/SOURCE.md")
        for row in _SOURCE_ROW.finditer(source.read_text())
    }
    assert sorted(recorded) == sorted(entry["file"] for entry in ENTRIES)
    changed = [
        file
        for file, sha256 in recorded.items()
        if hashlib.sha256((CORPUS / file).read_bytes()).hexdigest() != sha256
    ]
    assert changed == []


def cases(keys: tuple[str, ...], *, body_only: bool) -> list[Any]:
    found = []
    for entry in ENTRIES:
        if (entry.get("kind") == "body_only") != body_only:
            continue
        for key in keys:
            if key not in entry:
                continue
            reason = KNOWN_DIFFERENCES.get((entry["file"], key))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            found.append(pytest.param(entry, key, id=f"{entry['file']}:{key}", marks=marks))
    return found


_parsed: dict[str, ParsedMail] = {}


def parsed(file: str) -> ParsedMail:
    if file not in _parsed:
        _parsed[file] = parse((CORPUS / file).read_bytes())
    return _parsed[file]


@pytest.mark.parametrize(
    "file",
    [e["file"] for e in ENTRIES if e.get("kind") != "body_only"],
)
def test_every_message_parses_or_is_rejected_with_a_reason(file: str) -> None:
    if file in REJECTED:
        with pytest.raises(MailRejected, match=REJECTED[file]):
            parse((CORPUS / file).read_bytes())
        return
    mail = parsed(file)
    # Whatever the message holds, the display HTML is sanitised.
    lowered = (mail.html or "").lower()
    for dangerous in ("<script", "onerror", "onload", "javascript:", "<iframe", "<style"):
        assert dangerous not in lowered


def attachment_view(attachment: ParsedAttachment) -> dict[str, Any]:
    return {
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "md5": hashlib.md5(attachment.payload).hexdigest(),
        "content_id": attachment.content_id,
    }


def matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(actual.get(k) == v for k, v in expected.items() if k != "generated_name")


@pytest.mark.parametrize(("entry", "key"), cases(MAIL_KEYS, body_only=False))
def test_corpus_expectation(entry: dict[str, Any], key: str) -> None:
    mail = parsed(entry["file"])
    expected = entry[key]
    attachments = [attachment_view(a) for a in mail.attachments]
    if key in {"from_address", "from_name", "subject"}:
        assert getattr(mail, key) == expected
    elif key == "body_contains":
        for snippet in expected:
            assert snippet in mail.text
    elif key == "body_equals":
        assert mail.text.strip() == expected
    elif key == "message_id":
        # We store Message-IDs without their angle brackets.
        assert mail.message_id == expected.strip().strip("<>")
    elif key == "attachments":
        assert len(attachments) == len(expected), attachments
        for want, got in zip(expected, attachments, strict=True):
            assert matches(want, got), (want, got)
    elif key == "attachment_count":
        assert len(attachments) == expected, attachments
    elif key == "attachments_include":
        for want in expected:
            assert any(matches(want, got) for got in attachments), (want, attachments)
    elif key == "defects":
        assert sorted(mail.defects) == sorted(expected)


@pytest.mark.parametrize(("entry", "key"), cases(REPLY_KEYS, body_only=True))
def test_reply_expectation(entry: dict[str, Any], key: str) -> None:
    visible, folded = fold((CORPUS / entry["file"]).read_text())
    expected = entry[key]
    if key == "reply_visible_text":
        assert visible.strip() == expected
    elif key == "reply_contains":
        for snippet in expected:
            assert snippet in visible
    else:
        for snippet in expected:
            assert snippet not in visible
            assert snippet in folded


@pytest.mark.parametrize("file", [e["file"] for e in ENTRIES if e.get("kind") == "body_only"])
def test_every_reply_fixture_folds_quickly(file: str) -> None:
    text = (CORPUS / file).read_text()
    started = time.perf_counter()
    visible, _folded = fold(text)
    assert time.perf_counter() - started < 1.0  # upstream's bound for pathological.txt
    assert visible.strip()
    assert len(visible) <= len(text)
