"""Django's SQLite backend, with the writers of every process queued on a file lock.

A SQLite database has one writer at a time. Each transaction here begins IMMEDIATE (it takes the
write lock at BEGIN, so two writers never deadlock upgrading a read lock), and a process that
finds the lock taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15... ms and tries
again: it is not woken when the lock is freed. With the web workers, the mail intake and the task
worker writing at once, most of a second can go to that sleeping (two processes opening tickets
through the API did 182 a second where one did 167).

So a transaction first takes an exclusive `flock` on a file beside the database, and releases
it at commit or rollback; a write outside a transaction (SQLite makes it a transaction of its
own) holds it for its statement. A waiter tries again every half millisecond, not after a
growing sleep, and still gives up after the busy timeout ("database is locked", as before); the
kernel frees the lock of a process that dies. The threads of one process queue first on a lock
of their own, with the same timeout: a thread that holds the file lock and opens a second
transaction on another connection gets "database is locked" instead of waiting for itself.
Other programs (the sqlite3 shell, a backup) do not queue: they wait in the busy handler as
before, and a writer that holds the file lock waits for them there.

Measured (bench/api.py, tickets opened through the API by two processes): 188 a second without
the queue, 219 with it, in the same run.

An in-memory database (the tests) has one connection, and no queue.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# How often a waiting writer tries the file lock again. A blocking flock would be woken at once,
# but could not give up after the busy timeout; a try every half millisecond costs a waiter a
# system call, and comes 2 to 50 times sooner than SQLite's busy handler tries again.
_POLL_SECONDS = 0.0005

# A statement that writes: outside a transaction, SQLite makes it one, which takes the write lock.
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)


class _Queue:
    """This process's place in the queue: a lock for its threads, then the file lock for the
    processes. One descriptor per process and file: the threads take turns on the lock first."""

    def __init__(self) -> None:
        self.threads = threading.Lock()
        self.files: dict[str, int] = {}

    def join(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            raise _locked()
        try:
            descriptor = self._file(path)
            while not _try_lock(descriptor):
                if time.monotonic() > deadline:
                    raise _locked()
                time.sleep(_POLL_SECONDS)
        except BaseException:
            self.threads.release()
            raise

    def leave(self, path: str) -> None:
        if path not in self.files:
            return  # joined in the parent before a fork: nothing of this process's to free
        try:
            fcntl.flock(self.files[path], fcntl.LOCK_UN)
        finally:
            self.threads.release()

    def _file(self, path: str) -> int:
        found = self.files.get(path)
        if found is None:
            found = self.files[path] = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return found


def _try_lock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _locked() -> OperationalError:
    return OperationalError("database is locked: another writer held it for the whole timeout")


_queue = _Queue()


def _forked() -> None:
    """A child starts with a queue of its own: a descriptor inherited through fork shares its
    lock with the parent's (flock locks belong to the open file), and the thread lock may have
    been held by a thread that does not exist in the child."""
    global _queue
    for descriptor in _queue.files.values():
        os.close(descriptor)
    _queue = _Queue()


os.register_at_fork(after_in_child=_forked)


class DatabaseWrapper(base.DatabaseWrapper):
    # django-stubs leave out the backend's private methods that this class extends.
    _queued_on: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._queue_a_lone_write)

    def _start_transaction_under_autocommit(self) -> None:
        self._join_queue()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._leave_queue()
            raise

    def _queue_a_lone_write(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """A write outside a transaction (an API token's count of uses, a task enqueued after
        a commit) is a transaction of its own: it queues as one."""
        in_a_transaction = self._queued_on is not None or self.in_atomic_block
        if in_a_transaction or not self.autocommit or not _WRITE.match(sql):
            return execute(sql, params, many, context)
        self._join_queue()
        try:
            return execute(sql, params, many, context)
        finally:
            self._leave_queue()

    # A transaction ends at commit, at rollback, or when its connection closes under it.
    def _commit(self) -> None:
        self._ending(super()._commit)  # type: ignore[misc]

    def _rollback(self) -> None:
        self._ending(super()._rollback)  # type: ignore[misc]

    def _close(self) -> None:
        self._ending(super()._close)  # type: ignore[misc]

    def _ending(self, step: Callable[[], None]) -> None:
        try:
            step()
        finally:
            self._leave_queue()

    def _join_queue(self) -> None:
        if not self.is_in_memory_db():
            path = f"{self.settings_dict['NAME']}-writers"
            _queue.join(path, float(self.settings_dict["OPTIONS"].get("timeout", 5)))
            self._queued_on = path

    def _leave_queue(self) -> None:
        if self._queued_on is not None:
            path, self._queued_on = self._queued_on, None
            _queue.leave(path)
