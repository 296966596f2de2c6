"""The SMTP/LMTP door, spoken to with smtplib over a real socket: the reply codes an MTA acts on,
and that an acknowledged mail becomes exactly one ticket (docs/mail-doors.md, SMTP reply codes)."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from deskside.config import HostPort
from deskside.mail import rawstore, smtpd
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.tickets.models import Ticket

# The listener's threads use the database, so each test commits for real (tests/conftest.py
# seeds the protocol data again after the flush that ends such a test).
pytestmark = pytest.mark.django_db(transaction=True)

SUPPORT = "support@deskside.test"  # tests/conftest.py


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def mail(subject: str = "Sev 2 - export fails", *, size: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Peeters <claire@acme.example>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="acme.example")
    message.set_content("Hello, the export fails since this morning. Thanks\n" + "x" * size)
    return message.as_bytes().replace(b"\n", b"\r\n")


RUNNING: list[smtpd.Listener] = []  # filled by the start_listener fixture


def processed(inbound_id: int) -> InboundMail:
    """The door answers before processing, in its one worker thread: wait until that worker has
    done everything queued so far. (Polling the database instead would race the worker: the
    in-memory test database locks whole tables between threads instead of waiting.)"""
    for listener in RUNNING:
        listener.intake.workers.submit(lambda: None).result(timeout=10)
    row = InboundMail.objects.get(pk=inbound_id)
    assert row.status != InboundStatus.STORED, "stored but never processed"
    return row


def stored_id(reply: bytes) -> int:
    assert reply.startswith(b"2.0.0 Stored as "), reply
    return int(reply.rsplit(b" ", 1)[1])


Start = Callable[..., HostPort]


@pytest.fixture
def start_listener() -> Iterator[Start]:
    def start(**kwargs: object) -> HostPort:
        address = HostPort("127.0.0.1", free_port())
        listener = smtpd.listener(address, **kwargs)  # type: ignore[arg-type]
        listener.start()
        RUNNING.append(listener)
        return address

    yield start
    while RUNNING:
        RUNNING.pop().stop()  # also waits for its processing thread, before the flush


@pytest.fixture
def door(start_listener: Start) -> Iterator[smtplib.SMTP]:
    address = start_listener()
    with smtplib.SMTP(address.host, address.port, timeout=10) as client:
        client.ehlo()
        yield client


def send(
    client: smtplib.SMTP, raw: bytes, sender: str = "claire@acme.example", recipient: str = SUPPORT
) -> tuple[int, bytes]:
    assert client.mail(sender)[0] == 250
    assert client.rcpt(recipient)[0] == 250
    return client.data(raw)


def test_a_good_mail_is_stored_answered_250_and_becomes_a_ticket(door):
    raw = mail()
    code, reply = send(door, raw)
    assert code == 250
    inbound = processed(stored_id(reply))
    assert inbound.door == Door.SMTP
    assert inbound.outcome == Outcome.CREATED
    assert inbound.envelope_sender == "claire@acme.example"
    assert rawstore.load(inbound.raw_sha256) == raw  # the exact bytes, after SMTP's dot-unstuffing
    ticket = Ticket.objects.get()
    assert ticket.severity == 2 and inbound.ticket == ticket


def test_a_mail_with_lines_longer_than_rfc_5321_allows_is_still_taken(door):
    # Unwrapped HTML from some mail clients: refusing it would bounce the client's mail.
    raw = mail().replace(b"Thanks\r\n", b"Thanks " + b"y" * 5_000 + b"\r\n")
    code, reply = send(door, raw)
    assert code == 250
    assert rawstore.load(processed(stored_id(reply)).raw_sha256) == raw


def test_the_greeting_names_deskside_not_the_library(start_listener):
    address = start_listener()
    with smtplib.SMTP(timeout=10) as client:
        code, banner = client.connect(address.host, address.port)
    assert code == 220 and banner.endswith(b" Deskside ESMTP")


def test_the_support_address_is_matched_in_any_case(door):
    code, _ = send(door, mail(), recipient="Support@Deskside.TEST")
    assert code == 250


def test_an_unknown_recipient_is_refused_at_rcpt(door):
    assert door.mail("claire@acme.example")[0] == 250
    assert door.rcpt("sales@deskside.test") == (
        550,
        b"5.1.1 <sales@deskside.test>: no such mailbox here",
    )
    door.rset()
    assert InboundMail.objects.count() == 0


def test_an_oversize_mail_is_refused_552(start_listener):
    address = start_listener(data_size_limit=2_000)
    with smtplib.SMTP(address.host, address.port, timeout=10) as client:
        client.ehlo()
        # Announced too big in MAIL FROM (SIZE=, RFC 1870): refused before any data is sent.
        assert client.mail("claire@acme.example", ["SIZE=5000"]) == (552, b"5.3.4 Message too big")
        client.rset()
        # Not announced: refused after the data.
        code, reply = send(client, mail(size=5_000))
        assert (code, reply) == (552, b"5.3.4 Message too big")
    assert InboundMail.objects.count() == 0


def test_a_storage_failure_answers_451_and_the_listener_goes_on(door, monkeypatch):
    def disk_full(raw: bytes) -> str:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(rawstore, "save", disk_full)
        assert send(door, mail()) == (451, b"4.3.0 Temporary failure, try again later")
    assert InboundMail.objects.count() == 0
    door.rset()
    code, reply = send(door, mail())  # the client's retry, on the same connection
    assert code == 250 and processed(stored_id(reply)).outcome == Outcome.CREATED


def test_an_unexpected_error_answers_451(door, monkeypatch):
    def bug(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(smtpd, "store", bug)
    assert send(door, mail())[0] == 451


def test_the_null_envelope_sender_is_stored_as_angle_brackets(door):
    code, reply = send(door, mail(), sender="")  # smtplib sends MAIL FROM:<>
    assert code == 250
    assert processed(stored_id(reply)).envelope_sender == "<>"


def test_a_second_delivery_of_the_same_bytes_makes_no_second_ticket(door):
    raw = mail()
    first = processed(stored_id(send(door, raw)[1]))
    door.rset()
    code, reply = send(door, raw)
    assert code == 250 and stored_id(reply) == first.pk
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_lmtp_answers_once_per_recipient(start_listener):
    address = start_listener(lmtp=True)
    with smtplib.LMTP(address.host, address.port, timeout=10) as client:
        client.ehlo()  # smtplib's LMTP sends LHLO
        assert client.mail("claire@acme.example")[0] == 250
        assert client.rcpt(SUPPORT)[0] == 250
        assert client.rcpt("nobody@deskside.test")[0] == 550
        code, reply = client.data(mail())
    assert code == 250
    assert processed(stored_id(reply)).outcome == Outcome.CREATED
