"""Which mail may get an automatic answer (RFC 3834), and which is a bounce or our own."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import pytest

from deskside.mail.classify import Kind, classify, is_our_own
from deskside.mail.parse import ParsedMail, parse

FIXTURES = Path(__file__).parent / "fixtures"


def mail(
    headers: str = "",
    subject: str = "Severity 2 - export fails",
    sender: str = "ann@client.example",
) -> ParsedMail:
    raw = f"From: Ann <{sender}>\nTo: support@deskside.test\nSubject: {subject}\n{headers}\nHello\n"
    return parse(raw.encode())


def test_a_plain_mail_from_a_person_may_be_answered() -> None:
    result = classify(mail(), envelope_sender="ann@client.example")
    assert (result.kind, result.may_auto_answer, result.reason) == (Kind.NORMAL, True, None)


@pytest.mark.parametrize("name", ["ooo-en.eml", "ooo-nl.eml", "ooo-fr.eml", "ooo-de.eml"])
def test_out_of_office_in_each_language_is_an_auto_reply(name: str) -> None:
    parsed = parse((FIXTURES / name).read_bytes())
    result = classify(parsed, envelope_sender=parsed.from_address)
    assert result.kind == Kind.AUTO_REPLY
    assert not result.may_auto_answer


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Re: [CCS-12] Sev 2",
        "Automatic reply: [CCS-12]",
        "Automatisch antwoord: Ernst 2",
        "Afwezig: Ernst 2",
        "Réponse automatique : Sévérité 1",
        "Absence : Sévérité 1",
        "Abwesenheitsnotiz: Schweregrad 2",
        "Automatische Antwort: Schweregrad 2",
        "AW: Automatische Antwort: Schweregrad 2",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert classify(mail(subject=subject), envelope_sender=None).kind == Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "Absence of logs in the export - Severity 2",
        "Our out-of-office calendar is wrong, Sev 3",
        "Severity 1 - site down",
    ],
)
def test_ordinary_subjects_are_not_mistaken_for_out_of_office(subject: str) -> None:
    assert classify(mail(subject=subject), envelope_sender=None).kind == Kind.NORMAL


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ("Auto-Submitted: auto-replied\n", Kind.AUTO_REPLY),
        ("Auto-Submitted: auto-replied (vacation)\n", Kind.AUTO_REPLY),
        ("X-Autoreply: yes\n", Kind.AUTO_REPLY),
        ("X-Autorespond: yes\n", Kind.AUTO_REPLY),
        ("Precedence: auto_reply\n", Kind.AUTO_REPLY),
        ("Auto-Submitted: auto-generated\n", Kind.AUTOMATED),
        ("Auto-Submitted: auto-notified\n", Kind.AUTOMATED),
        ("Precedence: bulk\n", Kind.AUTOMATED),
        ("Precedence: list\n", Kind.AUTOMATED),
        ("Precedence: junk\n", Kind.AUTOMATED),
        ("List-Id: <users.lists.example>\n", Kind.AUTOMATED),
        ("List-Unsubscribe: <mailto:leave@lists.example>\n", Kind.AUTOMATED),
        ("Return-Path: <>\n", Kind.AUTOMATED),
        ("X-Failed-Recipients: gone@client.example\n", Kind.BOUNCE),
    ],
)
def test_rfc3834_headers(headers: str, kind: Kind) -> None:
    result = classify(mail(headers), envelope_sender="ann@client.example")
    assert result.kind == kind
    assert not result.may_auto_answer
    assert result.reason


def test_auto_submitted_no_is_a_person() -> None:
    result = classify(mail("Auto-Submitted: no\n"), envelope_sender="ann@client.example")
    assert (result.kind, result.may_auto_answer) == (Kind.NORMAL, True)


@pytest.mark.parametrize("value", ["All", "OOF, AutoReply", "DR", "RN, NRN"])
def test_sender_can_ask_not_to_be_auto_answered(value: str) -> None:
    result = classify(
        mail(f"X-Auto-Response-Suppress: {value}\n"), envelope_sender="ann@client.example"
    )
    assert (result.kind, result.may_auto_answer) == (Kind.NORMAL, False)
    assert "X-Auto-Response-Suppress" in str(result.reason)


def test_an_empty_envelope_sender_is_never_answered() -> None:
    result = classify(mail(), envelope_sender="")
    assert (result.kind, result.may_auto_answer) == (Kind.AUTOMATED, False)


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@client.example"])
def test_mailer_daemon_senders_are_bounces(sender: str) -> None:
    assert classify(mail(sender=sender), envelope_sender="").kind == Kind.BOUNCE


def test_a_delivery_status_report_is_a_bounce() -> None:
    parsed = parse((FIXTURES / "dsn-bounce.eml").read_bytes())
    result = classify(parsed, envelope_sender="")
    assert (result.kind, result.may_auto_answer) == (Kind.BOUNCE, False)
    assert parsed.report is not None
    assert parsed.report.original_message_id == "ticket-1042.reply-1@deskside.test"


def test_a_read_receipt_is_automated_not_a_bounce() -> None:
    raw = (
        b"From: ann@client.example\nSubject: Read: x\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"\n\n'
        b"--r\nContent-Type: text/plain\n\nRead.\n"
        b"--r\nContent-Type: message/disposition-notification\n\n"
        b"Disposition: manual-action/MDN-sent-manually; displayed\n\n--r--\n"
    )
    assert classify(parse(raw), envelope_sender="ann@client.example").kind == Kind.AUTOMATED


class Ours(TypedDict):
    support_addresses: list[str]
    message_id_domain: str


OURS: Ours = {"support_addresses": ["Support@Deskside.test"], "message_id_domain": "deskside.test"}


def test_our_own_mail_is_recognised_by_the_loop_header() -> None:
    assert is_our_own(mail("X-Deskside-Loop: deskside\n"), **OURS)


def test_our_own_mail_is_recognised_by_sender_and_message_id() -> None:
    assert is_our_own(mail(sender="support@deskside.test"), **OURS)
    assert is_our_own(mail("Message-ID: <ticket-1.reply-2@deskside.test>\n"), **OURS)


def test_a_custom_loop_header_name_is_honoured() -> None:
    assert is_our_own(mail("X-Helpdesk-Loop: 1\n"), **OURS, loop_header="X-Helpdesk-Loop")


def test_a_client_mail_is_not_our_own() -> None:
    assert not is_our_own(mail("Message-ID: <abc@client.example>\n"), **OURS)
    assert not is_our_own(mail("Message-ID: <abc@notdeskside.test>\n"), **OURS)
