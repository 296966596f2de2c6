"""The periodic scheduler: enqueues the protocol's recurring work as tasks for the worker.

Exactly one scheduler runs (a lease); a job is not enqueued again while its last run is still
waiting or running, so a slow worker never builds a pile of identical tasks.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.db import close_old_connections
from django_tasks_db.models import DBTaskResult

from deskside.runtime import leases

log = logging.getLogger("deskside.scheduler")
LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class Job:
    task_path: str  # "module.attribute" of a django.tasks task
    every: float  # seconds


JOBS = (
    Job("deskside.tickets.tasks.sweep_clocks", 30.0),
    Job("deskside.tickets.tasks.sweep_waiting", 60.0),  # reminders and closes, in days
    Job("deskside.outbox.send.deliver", 15.0),  # retries; new mail is sent at once on commit
    Job("deskside.mail.tasks.finish_stored_mail", 30.0),
)


def _task(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def _pending(path: str) -> bool:
    return DBTaskResult.objects.filter(task_path=path, status__in=["READY", "RUNNING"]).exists()


def tick(last_run: dict[str, float], now: float) -> list[str]:
    """Enqueue every job that is due; returns the task paths enqueued."""
    enqueued = []
    for job in JOBS:
        if now - last_run.get(job.task_path, 0.0) < job.every:
            continue
        last_run[job.task_path] = now
        if not _pending(job.task_path):
            _task(job.task_path).enqueue()
            enqueued.append(job.task_path)
    return enqueued


def run(stop: threading.Event, poll: float = 1.0) -> None:
    holder = leases.holder_id()
    last_run: dict[str, float] = {}
    leader = False
    while not stop.is_set():
        close_old_connections()
        if leases.acquire(LEASE, holder, LEASE_TTL):
            if not leader:
                log.info("scheduler: this process schedules (%s)", holder)
                leader = True
            tick(last_run, time.monotonic())
        elif leader:
            log.warning("scheduler: lost the lease; standing by")
            leader = False
        stop.wait(poll)
    leases.release(LEASE, holder)
