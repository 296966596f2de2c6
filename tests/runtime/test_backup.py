"""`deskside backup` and `deskside restore`: a desk taking mail is backed up, and the restored
desk has everything of that moment and starts (docs/deploy.md, Backups)."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest

from tests.runtime.desks import Desk, send_mail
from tests.runtime.processes import deskside


def inventory(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.runtime.inventory"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return cast(dict[str, Any], json.loads(done.stdout))


class Sender(threading.Thread):
    """Mails through the SMTP door, one after the other, until stopped; some with a file, some
    large enough (over 1 MiB) for the raw mail to be kept as a file rather than in the
    database. Remembers when each was acknowledged (250), and its files."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(daemon=True)
        self.desk = desk
        self.stop = threading.Event()
        self.acknowledged: list[tuple[float, str]] = []
        self.files: dict[str, bytes] = {}
        self.rng = random.Random(7)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            files: dict[str, bytes] = {}
            if number % 2:
                size = 1_500_000 if number % 5 == 0 else 20_000
                files[f"log-{number}.bin"] = self.rng.randbytes(size)
            message_id = send_mail(
                self.desk, f"Sev {1 + number % 4} - export {number}", files=files
            )
            self.acknowledged.append((time.time(), message_id))
            self.files.update(files)


def test_a_desk_backed_up_while_it_takes_mail_is_restored_whole_and_starts(start_desk, tmp_path):
    desk = start_desk(env={"DATABASE_URL": ""})  # SQLite, whatever the suite runs on
    desk.wait_for_output("Deskside is running.")
    sender = Sender(desk)
    sender.start()
    while len(sender.acknowledged) < 12:
        time.sleep(0.1)
    archive = tmp_path / "backups" / "desk.tar.gz"
    began = time.time()
    made = deskside(desk.env, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    while len(sender.acknowledged) < len([a for a in sender.acknowledged if a[0] <= began]) + 3:
        time.sleep(0.1)  # the desk took mail after the backup too
    sender.stop.set()
    sender.join(timeout=60)
    desk.stop()
    assert made.stdout.startswith("Backed up the database (")
    assert oct(archive.stat().st_mode & 0o777) == "0o600"  # the secret key and every mail

    restored_data = tmp_path / "restored" / "data"
    env = desk.env | {"DESKSIDE_DATA_DIR": str(restored_data)}
    done = deskside(env, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Restored the database (")

    live, restored = inventory(desk.env), inventory(env)
    before = {message_id for at, message_id in sender.acknowledged if at <= began}
    assert before <= set(restored["mails"])  # every mail acknowledged before the backup
    assert set(restored["mails"]) < set(live["mails"])  # and not those after it
    for message_id, mail in restored["mails"].items():
        assert mail["bytes_sha256"] == mail["raw_sha256"], message_id
    assert any(size > 1_048_576 for size in map(len, sender.files.values()))
    assert set(restored["tickets"]) <= set(live["tickets"]) and restored["tickets"]
    assert set(restored["messages"]) <= set(live["messages"])
    attachments = restored["attachments"].values()
    assert attachments
    for attachment in attachments:
        sent = sender.files[attachment["filename"]]
        assert attachment["bytes_sha256"] == attachment["sha256"]
        assert attachment["sha256"] == __import__("hashlib").sha256(sent).hexdigest()
    key = (restored_data / "secret_key").read_text()
    assert key == (desk.data / "secret_key").read_text()
    assert oct((restored_data / "secret_key").stat().st_mode & 0o777) == "0o600"

    again = start_desk(data=restored_data)
    again.wait_for_output("Deskside is running.")
    deadline = time.monotonic() + 60
    while (answer := again.fetch("/health/ready"))[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answer[0] == 200, answer[1]  # its scheduler did not wait for the old one's lease
    assert set(inventory(env)["tickets"]) >= set(restored["tickets"])


@pytest.fixture
def small_backup(tmp_path) -> tuple[Path, dict[str, str]]:
    """A backup of a desk with one mail taken through the pipe door."""
    data = tmp_path / "source"
    env = {**os.environ, "DESKSIDE_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    assert deskside(env, "migrate", "-v0").returncode == 0
    mail = b"From: claire@acme.example\nSubject: Sev 2 export\nMessage-ID: <b1@acme>\n\nHello\n"
    taken = subprocess.run(
        [sys.executable, "-m", "deskside.cli", "ingest"], env=env, input=mail, capture_output=True
    )
    assert taken.returncode == 0, taken.stderr
    archive = tmp_path / "small.tar.gz"
    assert deskside(env, "backup", str(archive)).returncode == 0
    return archive, env


def test_restore_refuses_a_data_directory_that_holds_a_desk_unless_forced(small_backup):
    archive, env = small_backup
    refused = deskside(env, "restore", str(archive))
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    forced = deskside(env, "restore", "--force", str(archive))
    assert forced.returncode == 0, forced.stderr
    assert "Restored the database (1 tickets)" in forced.stdout
    assert "replacing" in forced.stdout


def test_a_damaged_archive_restores_nothing(small_backup, tmp_path):
    archive, env = small_backup
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            content = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "database.sqlite3":
                content = content[:-1] + bytes([content[-1] ^ 1])
            target.addfile(member, io.BytesIO(content))
    empty = tmp_path / "empty"
    env = env | {"DESKSIDE_DATA_DIR": str(empty)}
    done = deskside(env, "restore", str(damaged))
    assert done.returncode == 1
    assert "database.sqlite3 does not match its checksum" in done.stderr
    assert sorted(p.name for p in empty.iterdir()) == ["secret_key", "static"]


def test_an_archive_with_a_path_outside_the_data_directory_is_refused(small_backup, tmp_path):
    archive, env = small_backup
    hostile = tmp_path / "hostile.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(hostile, "w:gz") as target:
        manifest = json.loads(source.extractfile("manifest.json").read())  # type: ignore[union-attr]
        payload = b"x"
        manifest["files"].append(
            {
                "name": "data/../../escaped",
                "size": 1,
                "sha256": __import__("hashlib").sha256(payload).hexdigest(),
            }
        )
        text = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(text)
        target.addfile(info, io.BytesIO(text))
        for member in source:
            if member.name != "manifest.json":
                target.addfile(member, source.extractfile(member))
        info = tarfile.TarInfo("data/../../escaped")
        info.size = 1
        target.addfile(info, io.BytesIO(payload))
    empty = tmp_path / "empty"
    done = deskside(env | {"DESKSIDE_DATA_DIR": str(empty)}, "restore", str(hostile))
    assert done.returncode == 1
    assert "points outside the data directory" in done.stderr
    assert not (tmp_path / "escaped").exists()


def test_on_postgresql_pg_dump_and_the_files_restore_the_desk(new_database, tmp_path, start_desk):
    """The procedure of docs/deploy.md (Backups, PostgreSQL), step by step."""
    source_url, target_url = new_database(), new_database()
    env = {**os.environ, "DESKSIDE_DATA_DIR": str(tmp_path / "source"), "DATABASE_URL": source_url}
    env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
    assert deskside(env, "migrate", "-v0").returncode == 0
    mails = []
    for number, size in enumerate((10, 30_000, 1_300_000)):
        path = tmp_path / f"mail-{number}.eml"
        path.write_bytes(
            b"From: claire@acme.example\nSubject: Sev 2 export %d\nMessage-ID: <pg%d@acme>\n"
            b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
            b"Content-Type: text/plain\n\nHello\n--b\nContent-Type: application/octet-stream\n"
            b'Content-Disposition: attachment; filename="f%d.bin"\n'
            b"Content-Transfer-Encoding: base64\n\n%s\n--b--\n"
            % (number, number, number, __import__("base64").encodebytes(os.urandom(size)))
        )
        mails.append(str(path))
    assert deskside(env, "ingest", *mails).returncode == 0

    refused = deskside(env, "backup", str(tmp_path / "all.tar.gz"))
    assert refused.returncode == 1 and "save it with pg_dump" in refused.stderr
    archive, dump = tmp_path / "files.tar.gz", tmp_path / "desk.dump"
    files = deskside(env, "backup", "--files-only", str(archive))
    assert files.returncode == 0, files.stderr
    # Three attachments, the raw mail too large for the database, and the secret key.
    assert files.stdout.startswith("Backed up 5 files (3.1 MB), the secret key among them")
    dumped = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", source_url],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dumped.returncode == 0, dumped.stderr
    loaded = subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={target_url}", str(dump)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr

    restored = env | {"DESKSIDE_DATA_DIR": str(tmp_path / "restored"), "DATABASE_URL": target_url}
    done = deskside(restored, "restore", str(archive))
    assert done.returncode == 0, done.stderr
    assert "The backup has no database: restore it with pg_restore." in done.stdout
    assert inventory(restored) == inventory(env)
    assert len(inventory(restored)["attachments"]) == 3
    again = start_desk(env={"DATABASE_URL": target_url}, data=tmp_path / "restored")
    again.wait_for_output("Deskside is running.")
    assert again.get("/health")[0] == 200
