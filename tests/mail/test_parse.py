"""Parsing our own fixtures: hostile HTML, odd file names, limits, reports, broken input."""

from __future__ import annotations

import base64
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskside.mail.parse import (
    Limits,
    MailRejected,
    html_to_text,
    normalise_filename,
    parse,
)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_script_handlers_and_javascript_links_are_removed_from_html() -> None:
    html = parse(fixture("xss.eml")).html or ""
    lowered = html.lower()
    for dangerous in ("<script", "alert(", "onerror", "onload", "javascript:", "expression("):
        assert dangerous not in lowered
    for dropped in ("<svg", "<iframe", "<form", "<input", "<style", "style=", "<title"):
        assert dropped not in lowered
    assert '<a href="https://deskside.example/docs" rel="noopener noreferrer nofollow">' in html
    assert "<b>team</b>" in html


def test_remote_images_are_dropped_and_cid_kept_only_for_own_parts() -> None:
    html = parse(fixture("xss.eml")).html or ""
    assert 'src="cid:logo@example.com"' in html
    assert "other-message-part" not in html
    assert "tracker.example" not in html


def test_cid_images_are_resolved_through_the_callback_for_own_parts_only() -> None:
    asked: list[str] = []

    def resolve(content_id: str) -> str:
        asked.append(content_id)
        return f"/desk/attachments/{content_id}"

    html = parse(fixture("xss.eml"), resolve_cid=resolve).html or ""
    assert asked == ["logo@example.com"]
    assert 'src="/desk/attachments/logo@example.com"' in html
    assert "cid:" not in html


def test_text_from_html_drops_script_and_style_and_keeps_lines() -> None:
    mail = parse(fixture("xss.eml"))
    assert "alert" not in mail.text
    assert "background" not in mail.text
    assert "Hello team," in mail.text
    assert "Regards & thanks,\nMallory" in mail.text


def test_inline_image_is_an_inline_attachment_with_its_content_id() -> None:
    (logo,) = parse(fixture("xss.eml")).attachments
    assert (logo.filename, logo.content_type, logo.content_id, logo.inline) == (
        "image-1.png",
        "image/png",
        "logo@example.com",
        True,
    )
    assert logo.payload.startswith(b"\x89PNG")


def test_rfc2231_continued_filename_is_decoded() -> None:
    mail = parse(fixture("rfc2231-filename.eml"))
    assert [a.filename for a in mail.attachments] == ["Facture n° 42 — été.pdf"]
    assert mail.from_name == "Renée Dupont"
    assert mail.subject == "Sévérité 3 - facture"


def test_bidi_control_and_path_characters_are_removed_from_filenames() -> None:
    names = [a.filename for a in parse(fixture("bidi-filename.eml")).attachments]
    assert names == ["invoicefdp.exe", "evil.dll", "image-3.png"]


@pytest.mark.parametrize(
    ("given_name", "expected"),
    [
        ("report\u202egpj.exe", "reportgpj.exe"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\doc.pdf", "doc.pdf"),
        ("ｆｕｌｌ／ｗｉｄｔｈ.txt", "width.txt"),  # NFKC turns the fullwidth slash into "/"
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ("  .hidden ", "hidden"),
        ("\x00\x1f", ""),
    ],
)
def test_normalise_filename(given_name: str, expected: str) -> None:
    assert normalise_filename(given_name) == expected


def test_long_filenames_are_capped_and_keep_their_extension() -> None:
    name = normalise_filename("é" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode("utf-8")) <= 200


def test_a_delivery_report_gives_the_original_message_id_and_failed_recipient() -> None:
    mail = parse(fixture("dsn-bounce.eml"))
    assert mail.is_report
    assert mail.report is not None
    assert mail.report.original_message_id == "ticket-1042.reply-1@deskside.test"
    assert mail.report.failed_recipients == ("gone@client.example",)
    assert (mail.report.action, mail.report.status) == ("failed", "5.1.1")
    assert "User unknown" in mail.text
    assert [a.content_type for a in mail.attachments] == [
        "message/delivery-status",
        "message/rfc822",
    ]


def test_a_report_with_only_returned_headers_still_names_the_original() -> None:
    mail = parse(fixture("dsn-headers-only.eml"))
    assert mail.report is not None
    assert mail.report.original_message_id == "ticket-7.reply-2@deskside.test"
    assert mail.report.failed_recipients == ("gone@client.example",)


def test_headers_are_decoded_and_raw_8bit_headers_read_as_utf8() -> None:
    mail = parse(fixture("ooo-de.eml"))
    assert (mail.from_name, mail.from_address) == ("Max Müller", "max@kunde.example")
    assert mail.date == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert mail.message_id == "ooo-de.eml@client.example"
    assert mail.headers["auto-submitted"] == "auto-replied"


def test_threading_headers_are_split_into_ids() -> None:
    raw = (
        b"From: a@example.com\nSubject: Re: x\nIn-Reply-To: <one@deskside.test>\n"
        b"References: <zero@deskside.test>\n <one@deskside.test>\n\nbody\n"
    )
    mail = parse(raw)
    assert mail.in_reply_to == ("one@deskside.test",)
    assert mail.references == ("zero@deskside.test", "one@deskside.test")


def test_wrong_charset_label_falls_back_to_a_guess() -> None:
    body = "Bonjour, le système a planté à nouveau.".encode()
    raw = b"From: a@example.com\nSubject: x\nContent-Type: text/plain; charset=x-unknown\n\n" + body
    assert parse(raw).text == "Bonjour, le système a planté à nouveau."


def test_visible_text_folds_the_quoted_history() -> None:
    raw = (
        b"From: a@example.com\nSubject: Re: x\n\nIt works now, thanks.\n\n"
        b"Op ma 2 mrt 2026 om 10:00 schreef Support <support@deskside.test>:\n> Please retry.\n"
    )
    mail = parse(raw)
    assert mail.visible_text == "It works now, thanks."
    assert "Please retry." in mail.text


def test_oversize_mail_is_rejected_with_the_numbers() -> None:
    with pytest.raises(MailRejected, match=r"message too large: 2047 bytes, limit 1024"):
        parse(b"From: a@example.com\n\n" + b"x" * 2026, Limits(max_bytes=1024))


def test_oversize_attachment_is_rejected_with_the_numbers() -> None:
    raw = multipart([attachment_part(b"x" * 3000)])
    with pytest.raises(MailRejected, match=r"attachment too large: 3000 bytes, limit 2000"):
        parse(raw, Limits(max_attachment_bytes=2000))


def test_too_many_parts_is_rejected() -> None:
    raw = multipart([attachment_part(b"x")] * 30)
    with pytest.raises(MailRejected, match=r"too many MIME parts: more than 20"):
        parse(raw, Limits(max_parts=20))


def test_too_deep_nesting_is_rejected() -> None:
    with pytest.raises(MailRejected, match=r"MIME nesting too deep: more than 10 levels"):
        parse(nested(15))
    assert parse(nested(5)).text == "deep"


def test_pathologically_deep_nesting_is_rejected_not_crashed() -> None:
    with pytest.raises(MailRejected, match="nesting too deep"):
        parse(nested(3000))


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x00\xff" * 10])
def test_empty_or_garbage_input_is_rejected_clearly(raw: bytes) -> None:
    with pytest.raises(MailRejected, match=r"empty message|no RFC 5322 header"):
        parse(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(raw: bytes) -> None:
    try:
        mail = parse(raw)
    except MailRejected as rejected:
        assert rejected.reason
    else:
        assert isinstance(mail.text, str)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>=?\"'()@,;: \r\nabcQB\u00e9\u202e", max_size=200))
def test_random_header_values_never_crash(value: str) -> None:
    raw = f"From: {value}\nTo: {value}\nSubject: {value}\nDate: {value}\n\nbody\n"
    mail = parse(raw.encode("utf-8"))
    assert "\n" not in mail.subject


def test_html_to_text_decodes_entities_and_breaks_blocks() -> None:
    text = html_to_text(
        "<div>caf&eacute; &amp; th&#233;</div><p>two<br>three</p><ul><li>a</li></ul>"
    )
    assert text == "café & thé\n\ntwo\nthree\n\na"


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking pytest process.
MEASURE = """
import re, sys
from deskside.mail.parse import parse
raw = open(sys.argv[1], "rb").read()
mail = parse(raw)
status = open("/proc/self/status").read()
print(mail.attachments[0].size, re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_25_mb_attachment_parses_in_bounded_memory(tmp_path: Path) -> None:
    # Measured in a fresh process: peak RSS of the whole process, raw bytes included.
    payload_size = 25 * 1024 * 1024
    eml = tmp_path / "big.eml"
    eml.write_bytes(multipart([attachment_part(bytes(range(256)) * (payload_size // 256))]))
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(eml)], capture_output=True, text=True, check=True
    )
    size, peak_kib = map(int, done.stdout.split())
    assert size == payload_size
    assert peak_kib / 1024 < 200


# --- builders ---------------------------------------------------------------------------------


def attachment_part(payload: bytes) -> bytes:
    encoded = base64.encodebytes(payload)
    return (
        b"Content-Type: application/octet-stream\nContent-Disposition: attachment; "
        b'filename="data.bin"\nContent-Transfer-Encoding: base64\n\n' + encoded
    )


def multipart(parts: list[bytes]) -> bytes:
    head = b'From: a@example.com\nSubject: x\nContent-Type: multipart/mixed; boundary="B"\n\n'
    body = b"".join(
        b"--B\n" + part + b"\n" for part in [b"Content-Type: text/plain\n\nhi\n", *parts]
    )
    return head + body + b"--B--\n"


def nested(depth: int) -> bytes:
    lines = [b"From: a@example.com", b"Subject: deep"]
    for level in range(depth):
        lines += [
            f'Content-Type: multipart/mixed; boundary="b{level}"'.encode(),
            b"",
            f"--b{level}".encode(),
        ]
    lines += [b"Content-Type: text/plain", b"", b"deep"]
    lines += [f"--b{level}--".encode() for level in reversed(range(depth))]
    return b"\n".join(lines) + b"\n"
