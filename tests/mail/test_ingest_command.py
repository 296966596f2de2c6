"""`deskside ingest`, the pipe door, run as an MTA runs it: a separate process, its own data
directory, JSON lines on stdout and the exit codes of docs/protocol.md, Commands (0, 64 usage, 75
retry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {"message_id", "outcome", "ticket", "severity", "reason"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite desk of its own, shared by the tests of this module."""
    path = tmp_path_factory.mktemp("ingest-data")
    done = deskside("migrate", "-v0", data=path)
    assert done.returncode == 0, done.stderr
    return path


def deskside(
    *args: str, data: Path, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DESKSIDE_DATA_DIR", "DJANGO_SETTINGS_MODULE"}
    }
    environment |= {
        "DESKSIDE_DATA_DIR": str(data),
        "DESKSIDE_SUPPORT_ADDRESS": "support@deskside.test",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "deskside.cli", *args],
        input=stdin,
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )


def eml(tmp_path: Path, name: str, subject: str, message_id: str) -> Path:
    path = tmp_path / name
    path.write_bytes(
        (
            "From: Pieter <pieter@client.example>\r\n"
            "To: support@deskside.test\r\n"
            f"Subject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\n"
            "Date: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
            "\r\n"
            "Hello, the export fails since this morning. Could you please have a look?\r\n"
        ).encode()
    )
    return path


def lines(done: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def no_traceback(done: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in done.stderr, done.stderr.decode()
    assert b"Traceback" not in done.stdout


def test_one_json_line_per_file_and_exit_0_for_created_rejected_and_duplicate(
    data_dir: Path, tmp_path: Path
) -> None:
    created = eml(tmp_path, "a.eml", "Sev 2 - export fails", "files-a@client.example")
    rejected = eml(tmp_path, "b.eml", "Export fails", "files-b@client.example")

    done = deskside(
        "ingest",
        "--received-at",
        "2026-03-02T10:00:00+01:00",
        str(created),
        str(rejected),
        str(created),
        data=data_dir,
    )

    assert done.returncode == 0, done.stderr.decode()
    first, second, third = lines(done)
    assert all(set(line) == KEYS for line in (first, second, third))
    assert first["outcome"] == "created"
    assert (first["message_id"], first["severity"], first["reason"]) == (
        "files-a@client.example",
        2,
        None,
    )
    assert str(first["ticket"]).startswith("CCS-")
    assert second["outcome"] == "rejected"
    assert second["severity"] is None
    assert "no severity" in str(second["reason"])
    assert second["ticket"] != first["ticket"]
    assert third["outcome"] == "duplicate"
    assert (third["ticket"], third["severity"]) == (first["ticket"], 2)


def test_the_received_time_given_is_the_tickets(data_dir: Path, tmp_path: Path) -> None:
    path = eml(tmp_path, "t.eml", "Sev 1 - down", "received-at@client.example")
    [line] = lines(
        deskside("ingest", "--received-at", "2026-03-07T11:00:00+01:00", str(path), data=data_dir)
    )

    shown = deskside("ticket", "show", str(line["ticket"]), data=data_dir)

    assert shown.returncode == 0, shown.stderr.decode()
    ticket = json.loads(shown.stdout)
    assert ticket["received_at"].startswith("2026-03-07T11:00:00")
    assert ticket["clocks"]["first_response_due"].startswith("2026-03-09T09:30:00")


def test_a_mail_on_standard_input(data_dir: Path, tmp_path: Path) -> None:
    raw = eml(tmp_path, "in.eml", "Sev 3 - slow report", "stdin@client.example").read_bytes()

    done = deskside("ingest", data=data_dir, stdin=raw)

    assert done.returncode == 0, done.stderr.decode()
    [line] = lines(done)
    assert (line["message_id"], line["outcome"], line["severity"]) == (
        "stdin@client.example",
        "created",
        3,
    )


def test_an_unparseable_mail_is_kept_and_exits_0(data_dir: Path) -> None:
    done = deskside("ingest", data=data_dir, stdin=b"\x00\x01 not a mail at all\n")

    assert done.returncode == 0, done.stderr.decode()
    [line] = lines(done)
    assert line["outcome"] == "quarantined"
    assert "unparseable" in str(line["reason"])


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("yesterday", "is not an ISO 8601 time"),
        ("2026-13-45T10:00:00+01:00", "is not an ISO 8601 time"),
        ("2026-03-02T10:00:00", "needs a UTC offset"),
    ],
)
def test_a_bad_received_at_is_wrong_usage(
    data_dir: Path, tmp_path: Path, value: str, words: str
) -> None:
    path = eml(tmp_path, "u.eml", "Sev 2 - x", "usage@client.example")

    done = deskside("ingest", "--received-at", value, str(path), data=data_dir)

    assert done.returncode == 64
    assert words in done.stderr.decode()
    assert done.stdout == b""
    no_traceback(done)


@pytest.mark.parametrize("missing", ["does-not-exist.eml", "."])
def test_an_unreadable_file_is_wrong_usage(data_dir: Path, tmp_path: Path, missing: str) -> None:
    done = deskside("ingest", str(tmp_path / missing), data=data_dir)

    assert done.returncode == 64
    assert "cannot read" in done.stderr.decode()
    no_traceback(done)


def test_an_unknown_option_is_wrong_usage(data_dir: Path) -> None:
    done = deskside("ingest", "--frobnicate", data=data_dir)

    assert done.returncode == 64
    no_traceback(done)


@pytest.mark.parametrize(
    "url",
    ["sqlite:////proc/deskside-nowhere/deskside.sqlite3", "postgres://x@127.0.0.1:1/x"],
)
def test_an_unavailable_database_asks_the_mta_to_retry(tmp_path: Path, url: str) -> None:
    path = eml(tmp_path, "db.eml", "Sev 2 - x", "db-down@client.example")

    done = deskside("ingest", str(path), data=tmp_path / "data", env={"DATABASE_URL": url})

    assert done.returncode == 75, done.stderr.decode()
    assert "try again later" in done.stderr.decode()
    assert done.stdout == b""
    no_traceback(done)
