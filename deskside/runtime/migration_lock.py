"""One process at a time migrates a database, however many nodes start together.

Two nodes started at once would otherwise both find a migration missing and both apply it:
one of them fails ("relation already exists") or, worse, a data migration runs twice. On
PostgreSQL the lock is a session-level advisory lock (pg_advisory_lock), held on the
connection that migrates and released when it is done or when the process dies, so a killed
node never leaves the others waiting. On SQLite, an exclusive flock on a file beside the
database does the same for the processes of one machine.

A session-level lock needs a session of its own: run migrations against PostgreSQL itself, not
through PgBouncer in transaction mode.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

# "deskside" in ASCII, as the 64-bit key of the advisory lock.
KEY = int.from_bytes(b"deskside", "big")
WAITING = "Deskside: another process is migrating this database; waiting for it to finish…"
_held: set[str] = set()


@contextmanager
def held(tell: Callable[[str], None], using: str = "default") -> Iterator[None]:
    """Hold the migration lock of database `using` (saying so when it has to wait). Re-entrant
    within a process: `deskside run` holds it around the migrate command, which takes it too."""
    if using in _held:
        yield
        return
    lock = _postgres if connections[using].vendor == "postgresql" else _sqlite
    with lock(using, tell):
        _held.add(using)
        try:
            yield
        finally:
            _held.discard(using)


@contextmanager
def _postgres(using: str, tell: Callable[[str], None]) -> Iterator[None]:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [KEY])
        (taken,) = cursor.fetchone() or (False,)
        if not taken:
            tell(WAITING)
            cursor.execute("SELECT pg_advisory_lock(%s)", [KEY])
    try:
        yield
    finally:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [KEY])


@contextmanager
def _sqlite(using: str, tell: Callable[[str], None]) -> Iterator[None]:
    name = str(connections[using].settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):  # a test database: one process
        yield
        return
    with Path(f"{name}.migrate-lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            tell(WAITING)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock
