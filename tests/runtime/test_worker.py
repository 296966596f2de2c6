"""The task worker wakes when a task is enqueued (deskside/runtime/worker.py), on SQLite and on
PostgreSQL: with its fallback look set to once a minute, a task enqueued by another process is
run within seconds, which only the wake-up can do."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime.processes import deskside

ENQUEUE = "from deskside.outbox.send import deliver; print(deliver.enqueue().id)"
STATUS = "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = {}"


def status_reader(url: str, data: Path) -> Callable[[str], str]:
    """Reads a task's status as an operator would, beside the worker."""
    if url.startswith("postgres"):
        import psycopg

        def from_postgres(task: str) -> str:
            with psycopg.connect(url) as connection:
                row = connection.execute(STATUS.format("%s"), (task,)).fetchone()
            return str(row[0]) if row else ""

        return from_postgres

    def from_sqlite(task: str) -> str:
        connection = sqlite3.connect(data / "deskside.sqlite3", timeout=20)
        try:
            # Django stores UUIDs in SQLite as 32 hex digits.
            row = connection.execute(STATUS.format("?"), (task.replace("-", ""),)).fetchone()
        finally:
            connection.close()
        return str(row[0]) if row else ""

    return from_sqlite


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
def test_a_task_enqueued_elsewhere_wakes_the_worker_at_once(vendor, new_database, tmp_path):
    data = tmp_path / "data"
    url = new_database() if vendor == "postgresql" else ""
    env = dict(os.environ) | {"DESKSIDE_DATA_DIR": str(data), "DATABASE_URL": url}
    if not url:
        del env["DATABASE_URL"]  # SQLite in the data directory
    assert deskside(env, "migrate", "-v0").returncode == 0
    status = status_reader(url, data)
    worker = subprocess.Popen(
        [sys.executable, "-m", "deskside.cli", "worker", "--interval", "60", "--worker-id", "w"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)  # started and waiting (a first look finds nothing to do)
        assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
        for _ in range(2):  # twice: a worker woken once is waiting again afterwards
            enqueued_by = deskside(env, "shell", "-v0", "-c", ENQUEUE)
            assert enqueued_by.returncode == 0, enqueued_by.stderr
            task = enqueued_by.stdout.split()[-1]
            enqueued = time.monotonic()
            while status(task) != "SUCCESSFUL":
                assert time.monotonic() - enqueued < 20, f"still {status(task)!r}: not woken"
                time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
