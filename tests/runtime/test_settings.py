"""Each bad configuration value stops start-up with a sentence naming it, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DESKSIDE = [sys.executable, "-m", "deskside.cli"]


def run_deskside(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DESKSIDE_", "DATABASE_URL"))}
    base |= {"DESKSIDE_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(
        [*DESKSIDE, *args], env=base | env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://u@h/db", "runs on SQLite or PostgreSQL only"),
        ("DATABASE_URL", "nonsense", "DATABASE_URL='nonsense' is not a database URL"),
        ("EMAIL_URL", "ftp://mail.example", "EMAIL_URL='ftp://mail.example' has an unknown scheme"),
        ("EMAIL_URL", "smtp://:25", "names no host"),
        ("EMAIL_URL", "smtp+tls://u:hunter2@mail.example:99999", "has no valid port"),
        ("DESKSIDE_HTTP", "8000", "DESKSIDE_HTTP='8000' must be host:port"),
        ("DESKSIDE_HTTP", "127.0.0.1:http", "has no valid port"),
        ("DESKSIDE_SMTPD", "127.0.0.1:0", "DESKSIDE_SMTPD='127.0.0.1:0' has no valid port"),
        (
            "DESKSIDE_SUPPORT_ADDRESS",
            "support",
            "DESKSIDE_SUPPORT_ADDRESS='support' is not an e-mail address",
        ),
        (
            "DESKSIDE_IMAP_URL",
            "pop3://mail.example",
            "DESKSIDE_IMAP_URL='pop3://mail.example' has an unknown scheme",
        ),
        ("SECRET_KEY", "short", "SECRET_KEY is too short"),
        ("DESKSIDE_REF_PREFIX", "CC-S", "must be letters and digits"),
        ("DESKSIDE_WEB_WORKERS", "two", "DESKSIDE_WEB_WORKERS='two' is not a whole number"),
        (
            "DESKSIDE_TRUSTED_PROXIES",
            "10.0.0.0/8, nginx",
            "DESKSIDE_TRUSTED_PROXIES: 'nginx' is not an IP address or network",
        ),
        ("DESKSIDE_METRICS_TOKEN", "secret", "DESKSIDE_METRICS_TOKEN is too short"),
        ("DESKSIDE_LOG_FORMAT", "xml", "DESKSIDE_LOG_FORMAT='xml' is not one of plain, json"),
        ("DESKSIDE_LOG_LEVEL", "loud", "DESKSIDE_LOG_LEVEL='loud' is not one of DEBUG, INFO"),
        ("DESKSIDE_ACCESS_LOG", "maybe", "DESKSIDE_ACCESS_LOG='maybe' is not a boolean"),
        (
            "DESKSIDE_OAUTH_TOKEN_URL",
            "oauth2.googleapis.com/token",
            "DESKSIDE_OAUTH_TOKEN_URL='oauth2.googleapis.com/token' must be an http(s) URL",
        ),
    ],
)
def test_bad_value_stops_startup_with_its_name(tmp_path, name, value, message):
    result = run_deskside(["check"], {name: value}, tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.startswith("deskside: configuration error:")
    assert "Traceback" not in result.stderr


def test_password_never_shown_in_an_error(tmp_path):
    result = run_deskside(["check"], {"EMAIL_URL": "smtp+tls://u:hunter2@:587"}, tmp_path)
    assert result.returncode == 2
    assert "hunter2" not in result.stderr


def test_unwritable_data_dir_is_named(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = run_deskside(["check"], {"DESKSIDE_DATA_DIR": str(blocker / "sub")}, tmp_path)
    assert result.returncode == 2
    assert "DESKSIDE_DATA_DIR=" in result.stderr and "cannot be created" in result.stderr


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path):
    first = run_deskside(
        [
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        {},
        tmp_path,
    )
    second = run_deskside(
        [
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SECRET_KEY)",
        ],
        {},
        tmp_path,
    )
    assert first.returncode == 0, first.stderr
    key = (tmp_path / "data" / "secret_key").read_text().strip()
    assert len(key) >= 50
    assert first.stdout.strip() == second.stdout.strip() == key
    assert oct((tmp_path / "data" / "secret_key").stat().st_mode)[-3:] == "600"


def test_good_values_are_read(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.DESKSIDE_HTTP, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.DEBUG, "
        "s.ALLOWED_HOSTS, [str(n) for n in s.DESKSIDE_TRUSTED_PROXIES])"
    )
    result = run_deskside(
        ["shell", "--no-imports", "-c", code],
        {
            "DESKSIDE_HTTP": "0.0.0.0:8080",
            "EMAIL_URL": "smtp+tls://u:p@mail.example:587",
            "DEBUG": "yes",
            "ALLOWED_HOSTS": "desk.example, localhost",
            "DESKSIDE_TRUSTED_PROXIES": "10.1.2.3, 172.16.0.0/12",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == "0.0.0.0:8080 mail.example 587 True True ['desk.example', 'localhost'] "
        "['10.1.2.3/32', '172.16.0.0/12']"
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DESKSIDE_IMAP_URL": "imaps://imap.gmail.com/INBOX", "DESKSIDE_IMAP_AUTH": "xoauth2"},
            "DESKSIDE_IMAP_AUTH=xoauth2 needs the mailbox's address as the user of "
            "DESKSIDE_IMAP_URL",
        ),
        (
            {"EMAIL_URL": "smtp+tls://u@smtp.gmail.com:587", "EMAIL_AUTH": "oauth"},
            "EMAIL_AUTH='oauth' is not one of password, xoauth2",
        ),
    ],
)
def test_a_bad_sign_in_method_stops_startup_with_its_name(tmp_path, env, message):
    result = run_deskside(["check"], env, tmp_path)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_gmail_oauth_is_read_for_both_directions(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.DESKSIDE_IMAP.auth, s.DESKSIDE_IMAP.username, s.EMAIL_BACKEND, "
        "s.EMAIL_HOST_USER, s.DESKSIDE_OAUTH_TOKEN_URL)"
    )
    result = run_deskside(
        ["shell", "--no-imports", "-c", code],
        {
            "DESKSIDE_IMAP_URL": "imaps://support%40example.com@imap.gmail.com/INBOX",
            "DESKSIDE_IMAP_AUTH": "xoauth2",
            "EMAIL_URL": "smtp+tls://support%40example.com@smtp.gmail.com:587",
            "EMAIL_AUTH": "XOAUTH2",
            "DESKSIDE_OAUTH_TOKEN_URL": "http://127.0.0.1:9/token",
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "xoauth2",
        "support@example.com",
        "deskside.outbox.smtp.XOAuth2EmailBackend",
        "support@example.com",
        "http://127.0.0.1:9/token",
    ]


def test_a_configuration_error_makes_the_mta_retry_the_pipe(tmp_path):
    result = run_deskside(["ingest"], {"DEBUG": "maybe"}, tmp_path)
    assert result.returncode == 75  # EX_TEMPFAIL: the MTA keeps the mail and retries
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_postgres_options_from_the_url_are_kept(tmp_path):
    # Settings are only read here: no server is contacted.
    code = "from django.conf import settings as s; print(sorted(s.DATABASES['default']['OPTIONS']))"
    result = run_deskside(
        ["shell", "--no-imports", "-c", code],
        {"DATABASE_URL": "postgres://u:p@db.example:5432/desk?sslmode=require"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['server_side_binding', 'sslmode']"


# -- the public base URL of links in mail ----------------------------------------------------------


def base_url_from(
    monkeypatch: pytest.MonkeyPatch, value: str | None, *, debug: bool = False
) -> str:
    from deskside.config import HostPort, base_url

    if value is None:
        monkeypatch.delenv("DESKSIDE_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("DESKSIDE_BASE_URL", value)
    return base_url("DESKSIDE_BASE_URL", HostPort("0.0.0.0", 8000), debug=debug)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "http://localhost:8000"),  # the web server's own address, a wildcard made local
        ("https://desk.example.com/", "https://desk.example.com"),
        ("https://example.com/support/", "https://example.com/support"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://desk.localhost", "http://desk.localhost"),
    ],
)
def test_the_base_url_is_read_and_tidied(monkeypatch, value, expected):
    assert base_url_from(monkeypatch, value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://desk.example.com", "must use https: links in mail are followed over the internet"),
        ("desk.example.com", "must be http(s)://host[:port]"),
        ("ftp://desk.example.com", "must be http(s)://host[:port]"),
        ("https://desk.example.com/?a=1", "must have no user, query or fragment"),
        ("https://desk.example.com:99999", "has no valid port"),
    ],
)
def test_a_bad_base_url_is_refused_with_a_sentence(monkeypatch, value, message):
    from deskside.config import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        base_url_from(monkeypatch, value)


def test_plain_http_to_another_host_is_allowed_with_debug_on(monkeypatch):
    assert base_url_from(monkeypatch, "http://desk.lan:8000", debug=True) == "http://desk.lan:8000"


def test_the_desk_refuses_to_start_with_plain_http_for_a_public_host(tmp_path):
    done = run_deskside(["check"], {"DESKSIDE_BASE_URL": "http://desk.example.com"}, tmp_path)

    assert done.returncode != 0
    assert "DESKSIDE_BASE_URL='http://desk.example.com' must use https" in done.stderr
    assert "Traceback" not in done.stderr


# -- reading the settings writes nothing; starting a process prepares the data directory --------


def test_importing_the_settings_creates_nothing(tmp_path):
    data = tmp_path / "never"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DESKSIDE_", "SECRET_KEY"))}
    done = subprocess.run(
        [sys.executable, "-c", "import deskside.settings"],
        env=env | {"DESKSIDE_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert not data.exists()


def test_a_deskside_command_prepares_the_data_directory_and_a_private_key(tmp_path):
    done = run_deskside(["check"], {}, tmp_path)

    assert done.returncode == 0, done.stderr
    key = tmp_path / "data" / "secret_key"
    assert len(key.read_text().strip()) >= 50
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert (tmp_path / "data" / "static").is_dir()


@pytest.mark.django_db
def test_a_sign_in_keeps_the_protocols_cached_data_and_a_staff_change_clears_it():
    from django.contrib.auth.models import User

    from deskside.tickets import policy

    user = User.objects.create_user("tessa")
    policy.remembered("probe", lambda: "cached")

    user.save(update_fields=["last_login"])
    kept = policy.remembered("probe", lambda: "read again")
    user.is_active = False
    user.save()
    after_change = policy.remembered("probe", lambda: "read again")

    assert (kept, after_change) == ("cached", "read again")
