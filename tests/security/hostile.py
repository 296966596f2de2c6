"""What the security tests share: a real SMTP server that receives what Deskside sends, mail as
an attacker writes it, and a look at what arrived header by header.

Every module of this package drives a real door (the intake, the SMTP listener, `deskside
ingest`, the pages) and asserts what a person would see.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import compat32

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

SUPPORT = "support@deskside.test"  # tests/environment.py


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Arrived:
    """One mail as the receiving server got it: the envelope and the exact bytes."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> Message:
        # compat32 reads the header block as it is, line by line: an injected field shows up as
        # a field of its own, which policy.default would also do, but without decoding anything.
        return message_from_bytes(self.raw, policy=compat32)

    def fields(self) -> list[str]:
        """Every header field name of every part, lower case, in order."""
        return [name.lower() for part in self.message.walk() for name in part]


@dataclass
class Mailbox:
    """The handler of the receiving server."""

    arrived: list[Arrived] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.arrived.append(Arrived(str(envelope.mail_from), list(envelope.rcpt_tos), raw))
        return "250 OK"


@pytest.fixture
def mailbox(settings) -> Iterator[Mailbox]:
    """The SMTP server every mail Deskside sends goes to; `deliver_due()` sends it there."""
    port = free_port()
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield box
    finally:
        controller.stop()


def hostile_mail(
    *,
    subject: str = "Sev 2 - export fails",
    sender: str = "Mallory <mallory@evil.example>",
    message_id: str = "<hostile-1@evil.example>",
    body: str = "Hello, the export fails.",
    extra: str = "",
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    """A mail written by hand, byte for byte: the email package would refuse or re-encode the
    very headers these tests need."""
    head = (
        f"From: {sender}\r\n"
        f"To: {SUPPORT}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {content_type}\r\n"
        f"{extra}"
    )
    return (head + "\r\n" + body + "\r\n").encode("utf-8")
