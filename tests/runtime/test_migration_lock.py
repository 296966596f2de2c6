"""Nodes that start together migrate one after the other (docs/deploy.md, Upgrading): on
PostgreSQL an advisory lock, on SQLite a file lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from deskside.runtime.migration_lock import KEY, WAITING


def migrate(data: Path, database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DESKSIDE_DATA_DIR": str(data), "DATABASE_URL": database_url}
    env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
    return subprocess.Popen(
        [sys.executable, "-m", "deskside.cli", "migrate", "-v1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_nodes_migrating_one_new_database_at_once_both_succeed(tmp_path, new_database):
    url = new_database()
    nodes = [migrate(tmp_path / "a", url), migrate(tmp_path / "b", url)]
    outputs = [node.communicate(timeout=300) for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], outputs
    # One applied the migrations while the other waited, then found nothing left to do.
    assert sum(WAITING in err for _, err in outputs) == 1, outputs
    applied = [out.count("... OK") for out, _ in outputs]
    assert sorted(applied)[0] == 0 and sorted(applied)[1] > 30, applied
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT app, name, count(*) FROM django_migrations GROUP BY app, name "
            "HAVING count(*) > 1"
        ).fetchall()
    assert rows == []


def test_a_desk_starting_while_another_node_migrates_waits_for_it(start_desk, new_database):
    url = new_database()
    with psycopg.connect(url, autocommit=True) as other_node:
        other_node.execute("SELECT pg_advisory_lock(%s)", [KEY])
        desk = start_desk(env={"DATABASE_URL": url})
        desk.wait_for_output(WAITING)
        time.sleep(3)
        assert "Starting:" not in desk.output()  # nothing migrated, nothing started
        other_node.execute("SELECT pg_advisory_unlock(%s)", [KEY])
        desk.wait_for_output("Deskside is running.")
    assert desk.get("/health")[0] == 200


def test_on_sqlite_a_second_process_waits_for_the_file_lock(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'deskside.sqlite3'}"
    import fcntl

    with (data / "deskside.sqlite3.migrate-lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        node = migrate(data, url)
        time.sleep(4)
        assert node.poll() is None  # waiting
    out, err = node.communicate(timeout=300)
    assert node.returncode == 0, err
    assert WAITING in err and "... OK" in out
