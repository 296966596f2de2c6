"""SQLite's writers queue on a file lock beside the database (deskside/sqlite/base.py): one
transaction at a time across processes and threads, a waiter that gives up after the busy
timeout with "database is locked", and a queue that a killed process does not block."""

from __future__ import annotations

import fcntl
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from deskside.sqlite.base import DatabaseWrapper

# A process of the desk: Django set up on the database, a transaction that writes a row and
# holds the queue until its standard input closes (or it is killed).
HOLDER = textwrap.dedent(
    """
    import sys
    import django
    django.setup()
    from django.db import connection, transaction
    with transaction.atomic():
        connection.cursor().execute("INSERT INTO t (who) VALUES ('holder')")
        print("holding", flush=True)
        sys.stdin.read()
    """
)


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    """These tests open connections of their own to a file of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite3"
    with sqlite3.connect(path) as made:
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE t (who TEXT)")
    return path


def holder(database: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
    env["DJANGO_SETTINGS_MODULE"] = "deskside.settings"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "holding\n"
    return process


def connection(database: Path, timeout: float) -> DatabaseWrapper:
    """A connection as the desk configures it (deskside/settings.py), `timeout` seconds."""
    options = {"timeout": timeout, "transaction_mode": "IMMEDIATE"}
    settings = {"ENGINE": "deskside.sqlite", "NAME": str(database), "OPTIONS": options}
    made = ConnectionHandler({"default": settings})["default"]
    assert isinstance(made, DatabaseWrapper)
    return made


def write(conn: DatabaseWrapper, who: str) -> None:
    """One transaction, begun as `transaction.atomic()` begins it on SQLite."""
    conn.ensure_connection()
    conn._start_transaction_under_autocommit()
    with conn.cursor() as cursor:
        cursor.execute("INSERT INTO t (who) VALUES (%s)", [who])
    conn.commit()


def writers(database: Path) -> list[str]:
    with sqlite3.connect(database) as reading:
        return [who for (who,) in reading.execute("SELECT who FROM t ORDER BY rowid")]


def queue_is_taken(database: Path) -> bool:
    descriptor = os.open(f"{database}-writers", os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def test_a_desk_process_holds_the_queue_for_its_transaction_and_frees_it_at_commit(database):
    process = holder(database)  # configured by deskside/settings.py, as every process is
    assert queue_is_taken(database)
    process.communicate("", timeout=30)
    assert not queue_is_taken(database)
    assert writers(database) == ["holder"]


def test_a_writer_waits_for_the_transaction_before_it_then_writes_after_it(database):
    process = holder(database)

    def write_mine() -> None:
        mine = connection(database, timeout=20)
        write(mine, "mine")
        mine.close()

    written = threading.Thread(target=write_mine)
    written.start()
    time.sleep(0.5)
    assert written.is_alive(), "the second writer went on while the first held the database"
    process.communicate("", timeout=30)  # the holder commits and ends
    written.join(timeout=10)
    assert not written.is_alive()
    assert writers(database) == ["holder", "mine"]


def test_a_writer_gives_up_after_the_busy_timeout_with_database_is_locked(database):
    process = holder(database)
    mine = connection(database, timeout=0.3)
    started = time.monotonic()
    # The queue's words, not SQLite's busy handler's: the writer waited in the queue.
    with pytest.raises(OperationalError, match="held it for the whole timeout"):
        write(mine, "mine")
    assert time.monotonic() - started >= 0.3
    # It gave its place back: once the holder is done, the same connection writes.
    process.communicate("", timeout=30)
    write(mine, "mine")
    assert writers(database) == ["holder", "mine"]
    mine.close()


def test_a_write_outside_a_transaction_queues_as_one(database):
    process = holder(database)
    mine = connection(database, timeout=0.3)
    with (
        pytest.raises(OperationalError, match="held it for the whole timeout"),
        mine.cursor() as cursor,
    ):
        cursor.execute("INSERT INTO t (who) VALUES ('alone')")
    process.communicate("", timeout=30)
    with mine.cursor() as cursor:
        cursor.execute("INSERT INTO t (who) VALUES ('alone')")
        cursor.execute("SELECT count(*) FROM t")  # a read does not queue: nothing to free
        assert cursor.fetchone() == (2,)
    assert writers(database) == ["holder", "alone"]
    assert not queue_is_taken(database)
    mine.close()


def test_a_writer_killed_mid_transaction_leaves_neither_its_row_nor_the_queue_behind(database):
    process = holder(database)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    mine = connection(database, timeout=2)
    write(mine, "mine")
    assert writers(database) == ["mine"]
    mine.close()


def test_a_second_transaction_in_the_same_thread_fails_instead_of_waiting_for_itself(database):
    first, second = connection(database, timeout=0.3), connection(database, timeout=0.3)
    first.ensure_connection()
    first._start_transaction_under_autocommit()
    with pytest.raises(OperationalError, match="held it for the whole timeout"):
        write(second, "second")
    first.commit()
    write(second, "second")
    assert writers(database) == ["second"]
    first.close()
    second.close()


# A desk process that forks after it has used the queue, then holds it: the child must queue
# behind it, which it would not with the descriptor it inherited (flock locks belong to the open
# file). Run alone: a fork from the test process, whose other threads may hold locks, could
# deadlock the child. The child's exit code says whether it was kept out, and how.
FORKER = textwrap.dedent(
    """
    import os
    import django
    django.setup()
    from django.db import OperationalError, connection, transaction
    from django.db.utils import ConnectionHandler
    with transaction.atomic():  # the queue's file is open in this process from here on
        connection.cursor().execute("INSERT INTO t (who) VALUES ('before')")
    held, told = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(held, 1)  # the parent holds the queue now
        settings = {**connection.settings_dict, "OPTIONS": {"timeout": 0.3}}
        child = ConnectionHandler({"default": settings})["default"]
        try:
            with child.cursor() as cursor:
                cursor.execute("INSERT INTO t (who) VALUES ('child')")
        except OperationalError as error:  # the queue's words, not SQLite's busy handler's
            os._exit(0 if "whole timeout" in str(error) else 2)
        os._exit(1)
    with transaction.atomic():
        connection.cursor().execute("INSERT INTO t (who) VALUES ('parent')")
        os.write(told, b"x")
        _, status = os.waitpid(pid, 0)
    raise SystemExit(os.waitstatus_to_exitcode(status))
    """
)


def test_a_forked_child_queues_behind_its_parent(database):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
    env["DJANGO_SETTINGS_MODULE"] = "deskside.settings"
    forked = subprocess.run([sys.executable, "-c", FORKER], env=env, timeout=60, check=False)
    assert forked.returncode == 0, "the child wrote while its parent held the queue"
    assert writers(database) == ["before", "parent"]
