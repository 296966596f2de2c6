"""The IMAP door signing in with OAuth 2.0 (DESKSIDE_IMAP_AUTH=xoauth2, docs/gmail.md) against a
real Dovecot whose oauth2 passdb checks every access token with a fake of Google
(tests/fake_google.py), as Gmail does with Google's: renewed when expired and when refused,
without a restart; a refused refresh token is a sentence in the log and in /health/ready."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from deskside import oauth
from deskside.config import MailServer
from deskside.mail import imap
from deskside.tickets.models import Ticket
from tests import fake_google
from tests.fake_google import CLIENT_ID, CLIENT_SECRET, MAILBOX, REFRESH_TOKEN, Google
from tests.mail.test_imap_door import (
    PROCESSED,
    SCRIPT,
    Running,
    count,
    deliver,
    free_port,
    mail,
    stop_dovecot,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)
DESKSIDE = Path(sys.executable).with_name("deskside")


@pytest.fixture(scope="module")
def google() -> Iterator[Google]:
    with fake_google.running() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_google(google: Google) -> None:
    google.refresh_tokens = {REFRESH_TOKEN}
    google.access_tokens.clear()
    google.grants.clear()


@pytest.fixture(scope="module")
def dovecot(google: Google) -> Iterator[dict[str, str]]:
    """Our Dovecot, taking XOAUTH2 and asking the fake Google about each token."""
    directory = tempfile.mkdtemp(prefix="deskside-dovecot-oauth-")
    os.chmod(directory, 0o755)  # Dovecot's own users must reach into it
    env = dict(
        os.environ,
        DOVECOT_TEST_DIR=directory,
        DOVECOT_TEST_PORT=str(free_port()),
        DOVECOT_TEST_OAUTH2_TOKENINFO_URL=google.tokeninfo_url,
    )
    with tempfile.TemporaryFile() as out:  # a file: the Dovecot master would hold a pipe open
        code = subprocess.call(
            ["bash", str(SCRIPT), "start"], env=env, stdout=out, stderr=out, timeout=120
        )
        out.seek(0)
        output = out.read().decode()
    if code != 0:
        stop_dovecot(env)
        pytest.fail(f"Dovecot did not start ({SCRIPT}, exit {code}):\n{output}", pytrace=False)
    yield dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    stop_dovecot(env)


@pytest.fixture
def server(dovecot, google, settings, tmp_path) -> MailServer:
    settings.DATA_DIR = tmp_path
    settings.DESKSIDE_OAUTH_TOKEN_URL = google.token_url
    gmail = MailServer(
        "imap", dovecot["IMAP_HOST"], int(dovecot["IMAP_PORT"]), MAILBOX, "", "INBOX", "xoauth2"
    )
    settings.DESKSIDE_IMAP = gmail
    return gmail


@pytest.fixture
def inbox(dovecot) -> Iterator[None]:
    """An empty inbox, emptied through a password sign-in (Dovecot keeps that too)."""
    by_password = MailServer(
        "imap", dovecot["IMAP_HOST"], int(dovecot["IMAP_PORT"]), MAILBOX, "secret", "INBOX"
    )
    with imap.connected(by_password) as box:
        box.delete(box.uids())
    yield


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


def take_all(server: MailServer) -> int:
    with imap.connected(server) as box:
        return imap.poll_once(box, imap.ensure_folder(box, PROCESSED))


def test_the_poller_signs_in_with_xoauth2_and_takes_the_mail(server, dovecot, inbox, google):
    connect()
    deliver(dovecot, mail())
    assert take_all(server) == 1
    assert Ticket.objects.get().severity == 2
    assert google.renewals() == 1  # the command's; the poller used the stored token


def test_an_expired_access_token_is_renewed_at_the_next_connection(server, inbox, google):
    connect()
    take_all(server)
    with time_machine.travel(timedelta(hours=2)):
        take_all(server)
    assert google.renewals() == 2
    assert oauth.load().access_token in google.access_tokens


def test_a_refused_access_token_is_renewed_once_and_the_sign_in_goes_on(
    server, inbox, google, caplog
):
    connect()
    google.revoke_access_tokens()  # Dovecot now refuses the token the file still holds
    with caplog.at_level(logging.INFO, logger="deskside.mail.imap"):
        take_all(server)
    assert google.renewals() == 2
    assert "the server refused the access token" in caplog.text


def test_a_refused_refresh_token_is_one_clear_line_and_a_reconnect_heals_it_without_restart(
    server, dovecot, inbox, google, caplog, monkeypatch
):
    monkeypatch.setattr(imap, "BACKOFF_FIRST", 0.05)
    connect()
    google.refresh_tokens.clear()  # revoked in the Google account
    google.revoke_access_tokens()
    deliver(dovecot, mail())
    caplog.set_level(logging.WARNING, logger="deskside.mail.imap")
    poller = Running(imap.Poller(server))
    wait_for(lambda: len(caplog.records) >= 2)

    google.refresh_tokens.add("1//a-new-one")
    connect("1//a-new-one")  # the lead reconnects; the poller is not restarted
    wait_for(lambda: count_inbox(server) == 0, timeout=10)
    poller.stop()

    first = caplog.records[0]
    assert first.exc_info is None  # a sentence, no traceback
    assert "refused the refresh token: invalid_grant" in first.getMessage()
    assert "deskside gmail connect" in first.getMessage()
    assert google.renewals() == 3  # connect, the one refusal (remembered, not asked again), connect
    assert Ticket.objects.count() == 1


def test_readiness_names_a_refused_refresh_token(server, google, client):
    connect()
    google.refresh_tokens.clear()
    with time_machine.travel(timedelta(hours=2)), pytest.raises(oauth.RefreshTokenRefused):
        oauth.access_token()
    answer = client.get("/health/ready", HTTP_HOST="127.0.0.1")
    assert answer.status_code == 503
    check = answer.json()["checks"]["gmail_oauth"]
    assert not check["ok"] and "gmail_oauth" in answer.json()["failing"]
    assert "invalid_grant" in check["problem"] and "deskside gmail connect" in check["problem"]

    google.refresh_tokens.add("1//a-new-one")
    connect("1//a-new-one")  # the lead reconnects
    answer = client.get("/health/ready", HTTP_HOST="127.0.0.1")
    assert answer.json()["checks"]["gmail_oauth"] == {
        "ok": True,
        "credentials": str(oauth.credentials_path()),
    }


def count_inbox(server: MailServer) -> int:
    with imap.connected(server) as box:
        return count(box, "INBOX")


def test_connect_by_consent_stores_the_refresh_token_owner_only(google, tmp_path):
    google.codes["4/0Acode"] = "1//from-consent"
    env = dict(
        os.environ,
        DESKSIDE_DATA_DIR=str(tmp_path),
        DESKSIDE_OAUTH_TOKEN_URL=google.token_url,
        DESKSIDE_OAUTH_CLIENT_SECRET=CLIENT_SECRET,
    )
    env.pop("DATABASE_URL", None)
    pasted = f"{oauth.REDIRECT_URI}?state=&code=4/0Acode&scope=https://mail.google.com/\n"
    done = subprocess.run(
        [str(DESKSIDE), "gmail", "connect", "--client-id", CLIENT_ID],
        input=pasted,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "https://accounts.google.com/o/oauth2/v2/auth?client_id=" in done.stdout
    assert "scope=https%3A%2F%2Fmail.google.com%2F" in done.stdout
    stored = tmp_path / oauth.CREDENTIALS_FILE
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert oauth.load(stored).refresh_token == "1//from-consent"


def test_connect_with_a_refused_token_stores_nothing_and_says_why(google, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    settings.DESKSIDE_OAUTH_TOKEN_URL = google.token_url
    with pytest.raises(Exception, match=r"nothing stored: .*invalid_grant"):
        connect("1//never-issued")
    assert not (tmp_path / oauth.CREDENTIALS_FILE).exists()
