"""Sending through Gmail's SMTP with OAuth 2.0 (EMAIL_AUTH=xoauth2, docs/gmail.md): a real SMTP
dialogue with an aiosmtpd server that takes only XOAUTH2 and checks each access token with a fake
of Google's token endpoint (tests/fake_google.py), which counts how often Deskside renewed."""

from __future__ import annotations

import base64
import json
import logging
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from django.core.management import call_command
from django.utils import timezone

from deskside import oauth
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.outbox.send import deliver_due, queue
from deskside.runtime import health
from tests import fake_google
from tests.fake_google import CLIENT_ID, CLIENT_SECRET, MAILBOX, REFRESH_TOKEN, Google
from tests.outbox.test_outbox import free_port

pytestmark = [
    pytest.mark.django_db,
    # Our server asks for AUTH on plain loopback (aiosmtpd warns); Gmail's asks after STARTTLS.
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning"),
]


@dataclass
class GmailLikeHandler:
    """Takes mail only after AUTH XOAUTH2 with a token Google issued; refuses like Gmail does:
    a 334 challenge carrying the error as JSON, then 535 once the client answered it."""

    google: Google
    sign_ins: list[str] = field(default_factory=list)  # the decoded XOAUTH2 strings, in order
    accepted: list[Envelope] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        said = base64.b64decode(args[1]).decode() if len(args) == 2 else ""
        self.sign_ins.append(said)
        user, token = _parsed(said)
        if user == MAILBOX and self.google.tokeninfo(token)[0] == 200:
            return AuthResult(success=True, auth_data=user)
        error = {"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(error))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.accepted.append(envelope)
        return "250 2.0.0 OK"


def _parsed(said: str) -> tuple[str, str]:
    """`user=U\\x01auth=Bearer T\\x01\\x01` → (U, T); anything else → ("", "")."""
    parts = said.split("\x01")
    if len(parts) != 4 or parts[2:] != ["", ""] or not parts[1].startswith("auth=Bearer "):
        return "", ""
    return parts[0].removeprefix("user="), parts[1].removeprefix("auth=Bearer ")


@pytest.fixture
def google() -> Iterator[Google]:
    with fake_google.running() as server:
        yield server


@pytest.fixture
def gmail(settings, tmp_path, google) -> Iterator[GmailLikeHandler]:
    settings.DATA_DIR = tmp_path
    settings.DESKSIDE_OAUTH_TOKEN_URL = google.token_url
    settings.EMAIL_BACKEND = "deskside.outbox.smtp.XOAuth2EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = MAILBOX, ""
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    handler = GmailLikeHandler(google)
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=settings.EMAIL_PORT,
        auth_required=True,
        auth_require_tls=False,  # loopback; Gmail's own port 587 asks for STARTTLS first
        auth_exclude_mechanism=["PLAIN", "LOGIN"],
    )
    controller.start()
    yield handler
    controller.stop()


def connect(refresh_token: str = REFRESH_TOKEN) -> None:
    call_command(
        "gmail",
        "connect",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--refresh-token",
        refresh_token,
    )


def answer(number: int) -> OutboundMail:
    return queue(
        to=["claire@acme.example"],
        subject=f"[CCS-{number}] We received your mail",
        text="Thank you.\n",
        purpose="acknowledgement",
        ticket_ref=f"CCS-{number}",
    )


def due_later() -> int:
    """deliver_due() as the scheduler calls it, after every back-off has passed."""
    return deliver_due(now=timezone.now() + timedelta(days=1))


def test_mail_goes_out_signed_in_with_the_stored_token_without_asking_google_again(gmail, google):
    connect()
    assert google.renewals() == 1  # the command checked the refresh token once

    answer(1)
    answer(2)
    assert deliver_due() == 2

    assert gmail.sign_ins == ["user=support@example.test\x01auth=Bearer ya29.access-0\x01\x01"]
    assert len(gmail.accepted) == 2
    assert google.renewals() == 1


def test_an_expired_access_token_is_renewed_before_signing_in(gmail, google):
    connect()
    with time_machine.travel(timedelta(hours=2)):  # Google's access tokens last an hour
        answer(1)
        assert deliver_due() == 1
    assert google.renewals() == 2
    assert [_parsed(s)[1] for s in gmail.sign_ins] == ["ya29.access-1"]
    assert oauth.load().access_token == "ya29.access-1"  # kept for the other processes


def test_a_refused_access_token_is_renewed_and_the_mail_goes_on_the_same_run(gmail, google, caplog):
    connect()
    google.revoke_access_tokens()  # still valid by its expiry time, refused by the server
    answer(1)

    with caplog.at_level(logging.INFO, logger="deskside.outbox"):
        assert deliver_due() == 1

    assert [_parsed(s)[1] for s in gmail.sign_ins] == ["ya29.access-0", "ya29.access-1"]
    assert google.renewals() == 2
    assert "refused the access token" in caplog.text and "renewing it" in caplog.text


def test_the_credentials_file_is_the_owners_alone_also_after_a_renewal(gmail, google):
    connect()
    path = oauth.credentials_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with time_machine.travel(timedelta(hours=2)):
        answer(1)
        deliver_due()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert oauth.load().refresh_token == REFRESH_TOKEN
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no partial file left


def test_a_refused_refresh_token_keeps_the_mail_queued_says_why_and_a_new_one_heals_it(
    gmail, google, caplog
):
    connect()
    google.refresh_tokens.clear()  # revoked in the Google account
    mail = answer(1)

    with time_machine.travel(timedelta(hours=2)), caplog.at_level(logging.INFO):
        assert deliver_due() == 0
        assert due_later() == 0  # refused for good: the endpoint is not asked again

    mail.refresh_from_db()
    assert mail.status == OutboundStatus.QUEUED
    assert "refused the refresh token: invalid_grant" in mail.last_error
    assert "deskside gmail connect" in mail.last_error
    assert google.renewals() == 2
    warnings = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("deskside")
    ]
    assert warnings and all(r.exc_info is None for r in warnings)  # a sentence, no traceback
    assert "invalid_grant" in warnings[0].getMessage()
    [check] = [c for c in health.readiness() if c.name == "gmail_oauth"]
    assert not check.ok and "invalid_grant" in check.problem

    google.refresh_tokens.add("1//a-new-one")
    connect("1//a-new-one")  # what the lead does: the running desk needs no restart
    assert due_later() == 1
    assert len(gmail.accepted) == 1
