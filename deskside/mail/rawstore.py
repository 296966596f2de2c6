"""Raw mail, named by the SHA-256 of its bytes: writing twice is harmless.

A mail of up to INLINE_MAX_BYTES is kept in the database, in the table `mail_raw` (created by
migration 0003, read and written only here), within the caller's transaction: `intake.store()`
writes it in the transaction that writes the mail's InboundMail row, so the commit that makes
the row durable makes the bytes durable too. An fsync of a file of its own per mail cost more
than all the rest of storing it.

A larger mail goes to a file under the data directory, written with fsync and an atomic rename
before the caller commits: large blobs are better kept outside SQLite's pages and WAL
(https://www.sqlite.org/intern-v-extern-blob.html), and a 36 MB mail then never passes through
a SQL statement, where a driver may copy or escape it. Mails stored before the table existed are
files too; `load()` looks in both places.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection

INLINE_MAX_BYTES = 1024 * 1024
TABLE = "mail_raw"
_HASH_CHUNK = 1024 * 1024


def path_for(sha256: str) -> Path:
    return Path(settings.DATA_DIR) / "raw" / sha256[:2] / f"{sha256}.eml"


def sha256_of(raw: bytes) -> str:
    digest = hashlib.sha256()
    view = memoryview(raw)
    for start in range(0, len(view), _HASH_CHUNK):  # slices of a memoryview copy nothing
        digest.update(view[start : start + _HASH_CHUNK])
    return digest.hexdigest()


def save(raw: bytes) -> str:
    """Keep the bytes durably once the caller's transaction commits; returns their SHA-256."""
    sha = sha256_of(raw)
    if len(raw) <= INLINE_MAX_BYTES:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {TABLE} (sha256, data) VALUES (%s, %s) "
                "ON CONFLICT (sha256) DO NOTHING",
                [sha, raw],
            )
    else:
        _write_file(sha, raw)
    return sha


def _write_file(sha: str, raw: bytes) -> None:
    """fsync, then an atomic rename: the file is whole or absent."""
    path = path_for(sha)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(sha256: str) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {TABLE} WHERE sha256 = %s", [sha256])
        row = cursor.fetchone()
    if row is not None:
        return bytes(row[0])
    return path_for(sha256).read_bytes()
