"""`deskside restore FILE`: a backup (deskside/runtime/backup.py) back into a data directory.

Into an empty data directory only, unless told to replace what is there (`--force`). Every
member is checked against the manifest's size and SHA-256 while it is unpacked into a staging
folder beside the data, and nothing is put in place unless all of them match: a damaged
archive leaves the data directory as it was. Only regular files named in the manifest are
unpacked, each under the data directory (no links, no absolute or `..` paths).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from deskside import oauth
from deskside.runtime.backup import DATA, DATABASE, FORMAT, MANIFEST, SKIPPED_PREFIXES

# What a data directory holds as soon as any deskside command has run in it.
MADE_AT_START = {"static", "secret_key"}
# Files of the data directory that only its owner may read: the keys to the desk and the mailbox.
PRIVATE = {"secret_key", oauth.CREDENTIALS_FILE}
_CHUNK = 1024 * 1024


class RestoreError(Exception):
    """The archive cannot be restored here; the message says why."""


@dataclass(frozen=True)
class Restored:
    database: bool
    files: int
    secret_key: bool
    tickets: int | None
    replaced: int
    seconds: float


def restore(archive_path: Path, *, force: bool = False) -> Restored:
    started = time.monotonic()
    data_dir = Path(settings.DATA_DIR).resolve()
    with tarfile.open(archive_path, mode="r:gz") as archive:
        manifest = _manifest(archive)
        expected = {entry["name"]: entry for entry in manifest["files"]}
        has_database = DATABASE in expected
        _check_fits(manifest, has_database)
        present = _present(data_dir)
        if present and not force:
            raise RestoreError(
                f"{data_dir} is not empty ({', '.join(sorted(present)[:5])}…): restore into an "
                "empty data directory, or add --force to replace what is there"
            )
        staging = data_dir / f".restore-{uuid.uuid4().hex[:8]}"
        try:
            _unpack(archive, expected, staging)
            replaced = _clear(data_dir, staging) if present else 0
            _put_in_place(staging, data_dir, has_database)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    names = set(expected)
    return Restored(
        database=has_database,
        files=sum(1 for name in names if name.startswith(f"{DATA}/")),
        secret_key=f"{DATA}/secret_key" in names,
        tickets=_tickets() if has_database else None,
        replaced=replaced,
        seconds=time.monotonic() - started,
    )


def _manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise RestoreError("this is not a Deskside backup: it does not start with manifest.json")
    handle = archive.extractfile(first)
    assert handle is not None
    manifest: dict[str, Any] = json.loads(handle.read())
    if manifest.get("format") != FORMAT:
        raise RestoreError(f"backup format {manifest.get('format')!r} is not known here")
    return manifest


def _check_fits(manifest: dict[str, Any], has_database: bool) -> None:
    """The archive's database must be SQLite like ours, and not newer than this code."""
    if has_database and connection.vendor != "sqlite":
        raise RestoreError(
            "this backup holds a SQLite database, but DATABASE_URL names "
            f"{connection.vendor}: restore into a SQLite desk (docs/deploy.md, Backups)"
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}"
        for app, name in manifest.get("migrations", {}).items()
        if (app, name) not in known
    ]
    if has_database and unknown:
        raise RestoreError(
            f"this backup was made by a newer Deskside (migrations {', '.join(unknown)} are "
            "unknown here): restore it with that version or later"
        )


def _present(data_dir: Path) -> list[str]:
    """What a restore would replace: anything beyond what every command makes at start, and a
    database with content."""
    found = [
        entry.name
        for entry in data_dir.iterdir()
        if entry.name not in MADE_AT_START and not entry.name.startswith(SKIPPED_PREFIXES)
    ]
    database = _database_path()
    if database is not None and database.exists() and database.stat().st_size > 0:
        found.append(database.name)
    return sorted(set(found))


def _database_path() -> Path | None:
    if connection.vendor != "sqlite":
        return None
    return Path(str(settings.DATABASES["default"]["NAME"])).resolve()


def _unpack(archive: tarfile.TarFile, expected: dict[str, dict[str, Any]], staging: Path) -> None:
    staging.mkdir(mode=0o700)
    seen: set[str] = set()
    for member in archive:
        if member.name == MANIFEST and MANIFEST not in seen:  # read already, checked by now
            seen.add(MANIFEST)
            continue
        entry = expected.get(member.name)
        if entry is None or not member.isfile() or member.name in seen:
            raise RestoreError(f"{member.name!r} is not in the manifest as a file: not restored")
        seen.add(member.name)
        handle = archive.extractfile(member)
        assert handle is not None
        _copy_checked(handle, _inside(staging, member.name), entry)
    missing = sorted(set(expected) - seen - {MANIFEST})
    if missing:
        raise RestoreError(f"the archive lacks {', '.join(missing[:5])}: it is incomplete")


def _inside(root: Path, name: str) -> Path:
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or ".." in parts or not parts:
        raise RestoreError(f"{name!r} points outside the data directory: not restored")
    return root.joinpath(*parts)


def _copy_checked(source: IO[bytes], path: Path, entry: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise RestoreError(
            f"{entry['name']} does not match its checksum in the manifest: the archive is "
            "damaged; nothing was restored"
        )
    if entry["name"] in {f"{DATA}/{name}" for name in PRIVATE}:
        path.chmod(0o600)


def _clear(data_dir: Path, staging: Path) -> int:
    """--force: remove the data directory's content (the static files stay, they are rebuilt
    anyway), and the database with its write-ahead log."""
    removed = 0
    for entry in data_dir.iterdir():
        if entry == staging or entry.name == "static":
            continue
        if entry.is_dir() and not entry.is_symlink():
            removed += sum(1 for path in entry.rglob("*") if path.is_file())
            shutil.rmtree(entry)
        else:
            entry.unlink()
            removed += 1
    database = _database_path()
    if database is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    return removed


def _put_in_place(staging: Path, data_dir: Path, has_database: bool) -> None:
    files = staging / DATA
    if files.exists():
        for path in sorted(files.rglob("*")):
            if path.is_file():
                target = data_dir / path.relative_to(files)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
    database = _database_path()
    if has_database and database is not None:
        connection.close()  # nothing of this process may hold the old file
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        _forget_leases(staging / DATABASE)
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / DATABASE, database)


def _forget_leases(database: Path) -> None:
    """The copy holds the leases of the processes that ran then (the scheduler's, a poller's):
    kept, they would make the restored desk's scheduler wait for them to expire."""
    with sqlite3.connect(str(database)) as copy:
        copy.execute("DELETE FROM runtime_lease")


def _tickets() -> int | None:
    database = _database_path()
    if database is None:
        return None
    with sqlite3.connect(str(database)) as restored:
        (count,) = restored.execute("SELECT count(*) FROM tickets_ticket").fetchone()
    return int(count)
