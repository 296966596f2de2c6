"""`deskside backup FILE`: the whole desk in one archive, taken while it runs.

The archive (a tar.gz, readable with tar itself) holds, in this order:

- `manifest.json`: when, what, the schema's last migration per app, and the size and SHA-256 of
  every other member (deskside restore checks each one);
- `database.sqlite3`: a copy made through SQLite's online backup API, consistent as of one
  moment while the desk goes on writing (left out with --files-only, and on PostgreSQL, whose
  database pg_dump saves: docs/deploy.md);
- `data/...`: every file of the data directory (DESKSIDE_DATA_DIR): the attachments, raw mail
  too large to keep in the database (`raw/`), the secret key, mail written to files, and
  whatever else lives there; not the static files, which `deskside run` collects anew, nor the
  live database files.

The database is copied first, then the files: attachments and raw mail are written (and
synced) before the transaction that names them commits, and never changed or deleted after,
so every file the copied database names is on disk when the files are read. Files written
meanwhile come along too, unnamed by the copy and harmless.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite3"
DATA = "data"
# Rebuilt at start (static), the live database (copied through the backup API instead), and
# files being written or restored.
SKIPPED_FOLDERS = ("static",)
SKIPPED_SUFFIXES = ("-wal", "-shm", "-journal", ".migrate-lock")
SKIPPED_PREFIXES = (".tmp-", ".restore-")
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be made as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Made:
    path: Path
    database_bytes: int
    files: int
    file_bytes: int
    secret_key: bool
    seconds: float


def make(target: Path, *, files_only: bool = False) -> Made:
    """Write the archive to `target` (via a temporary file beside it, renamed when whole)."""
    started = time.monotonic()
    postgres = connection.vendor == "postgresql"
    if postgres and not files_only:
        raise BackupError(
            "the database is PostgreSQL: save it with pg_dump, and the files with "
            "`deskside backup --files-only FILE` (docs/deploy.md, Backups)"
        )
    data_dir = Path(settings.DATA_DIR).resolve()
    target = target.resolve()
    with tempfile.TemporaryDirectory(prefix="deskside-backup-") as scratch:
        members: list[tuple[str, Path]] = []
        if not files_only:
            members.append((DATABASE, _copy_database(Path(scratch) / DATABASE)))
        members += [(f"{DATA}/{path.relative_to(data_dir)}", path) for path in _files(data_dir)]
        members = [(name, path) for name, path in members if path != target]
        entries: list[dict[str, str | int]] = [
            {"name": name, "size": path.stat().st_size, "sha256": sha256_of(path)}
            for name, path in members
        ]
        _write(target, _manifest(entries, files_only=files_only, postgres=postgres), members)
    data_members = [m for m in entries if str(m["name"]).startswith(f"{DATA}/")]
    return Made(
        path=target,
        database_bytes=sum(int(m["size"]) for m in entries if m["name"] == DATABASE),
        files=len(data_members),
        file_bytes=sum(int(m["size"]) for m in data_members),
        secret_key=any(m["name"] == f"{DATA}/secret_key" for m in data_members),
        seconds=time.monotonic() - started,
    )


def _copy_database(copy: Path) -> Path:
    """SQLite's online backup: one consistent copy while other connections go on writing (in
    WAL mode they are not held up), then made a single file without a write-ahead log."""
    source = sqlite3.connect(str(settings.DATABASES["default"]["NAME"]), timeout=30)
    target = sqlite3.connect(str(copy))
    try:
        with target:
            source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    return copy


def _files(data_dir: Path) -> Iterator[Path]:
    database = Path(str(settings.DATABASES["default"]["NAME"])).resolve()
    for folder, subfolders, names in os.walk(data_dir):
        here = Path(folder)
        if here == data_dir:
            subfolders[:] = [s for s in subfolders if s not in SKIPPED_FOLDERS]
        subfolders[:] = [s for s in subfolders if not s.startswith(SKIPPED_PREFIXES)]
        for name in sorted(names):
            path = here / name
            if path == database or name.endswith(SKIPPED_SUFFIXES):
                continue
            if name.startswith(SKIPPED_PREFIXES) or not path.is_file() or path.is_symlink():
                continue
            yield path


def _manifest(
    entries: list[dict[str, str | int]], *, files_only: bool, postgres: bool
) -> dict[str, object]:
    return {
        "format": FORMAT,
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "deskside": version("deskside"),
        "database": "none" if files_only else "sqlite",
        "made_on": "postgresql" if postgres else "sqlite",
        "migrations": _migrations(),
        "secret_key": "in the archive"
        if any(entry["name"] == f"{DATA}/secret_key" for entry in entries)
        else "from the environment (SECRET_KEY), not in the archive",
        "files": entries,
    }


def _migrations() -> dict[str, str]:
    """The last migration applied per app: restore refuses an archive newer than its code."""
    last: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        last[app] = max(last.get(app, ""), name)
    return dict(sorted(last.items()))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write(target: Path, manifest: dict[str, object], members: list[tuple[str, Path]]) -> None:
    """Readable by its owner only (it holds the secret key and every mail); whole or absent."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        # Level 1: most of what level 9 saves on a database and mail, several times faster
        # (a 155 MB database: 12 s at tarfile's default 9).
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as archive,
        ):
            text = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(time.time()), 0o600
            archive.addfile(info, io.BytesIO(text))
            for name, path in members:
                archive.add(str(path), arcname=name, recursive=False)
            archive.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
