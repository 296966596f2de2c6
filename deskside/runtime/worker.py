"""The task worker: django-tasks-db's, woken the moment a task is enqueued rather than polling
once a second, so that an acknowledgement leaves within a fraction of a second of the mail.

- PostgreSQL: whoever enqueues a task sends `NOTIFY deskside_tasks` on its own connection, in
  the enqueuing transaction, so PostgreSQL delivers it at commit, when the task can be seen. The
  worker LISTENs on a connection of its own.
- SQLite: the worker watches `PRAGMA data_version`, which changes when another connection commits
  to the file; reading it takes no lock, so it looks every 20 ms and claims only after a change.

Either way the worker also looks every `--interval` seconds, for tasks whose time came (a retry's
back-off) and in case a wake-up was lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import OperationalError
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

log = logging.getLogger("deskside.runtime.worker")

CHANNEL = "deskside_tasks"
PEEK = 0.02  # seconds between two looks at SQLite's data_version


def _database() -> BaseDatabaseWrapper:
    return connections[router.db_for_write(DBTaskResult) or DEFAULT_DB_ALIAS]


def notify(sender: object, **kwargs: Any) -> None:
    """On `task_enqueued`: wake the workers (PostgreSQL; SQLite's see the commit by themselves)."""
    database = _database()
    if database.vendor == "postgresql":
        with database.cursor() as cursor:
            cursor.execute(f"NOTIFY {CHANNEL}")


class Wake(Protocol):
    def wait(self, timeout: float) -> None: ...


class Listening:
    """PostgreSQL: LISTEN on a connection of the worker's own, outside any transaction."""

    def __init__(self) -> None:
        self.database = connections.create_connection(_database().alias)
        self.database.ensure_connection()
        self.database.set_autocommit(True)
        self.database.connection.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> None:
        for _ in self.database.connection.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        self.database.close()


class Watching:
    """SQLite: wait until another connection committed, or `timeout` passed."""

    def wait(self, timeout: float) -> None:
        database = _database()
        deadline = time.monotonic() + timeout
        seen = self._version(database)
        while time.monotonic() < deadline and self._version(database) == seen:
            time.sleep(PEEK)

    @staticmethod
    def _version(database: BaseDatabaseWrapper) -> int:
        with database.cursor() as cursor:
            cursor.execute("PRAGMA data_version")
            return int(cursor.fetchone()[0])

    def close(self) -> None:
        pass


@contextmanager
def waking() -> Iterator[Wake]:
    wake = Listening() if _database().vendor == "postgresql" else Watching()
    try:
        yield wake
    finally:
        wake.close()


class Worker(DatabaseWorker):
    """The library's worker with its sleep replaced by a wake-up. Batch mode and task limits are
    the library's `db_worker`'s (tests and one-off runs use it); a desk runs this one."""

    def run(self) -> None:
        log.info("worker %s: waiting for tasks", self.worker_id)
        with waking() as wake:
            while self.running:
                close_old_connections()
                task = self.claim()
                if task is not None:
                    self.run_task(task)
                elif self.running:
                    wake.wait(self.interval)

    def claim(self) -> DBTaskResult[Any, Any] | None:
        """The next ready task, claimed for this worker; None when there is none (or SQLite's
        write lock is taken: the next commit wakes us again)."""
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task = tasks.get_locked()
            except OperationalError as error:
                if not is_locked_database_exception(error):
                    raise
                return None
            if task is not None:
                task.claim(self.worker_id)
        return task
