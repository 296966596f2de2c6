"""The periodic scheduler: enqueues the protocol's recurring work as tasks for the worker.

Exactly one scheduler runs (a lease); a job is not enqueued again while its last run is still
waiting or running, so a slow worker never builds a pile of identical tasks. A run that says
RUNNING for longer than any job takes lost its worker (killed, the machine restarted:
django-tasks-db leaves such a row RUNNING for ever); it is marked failed and the job scheduled
again, or the clocks would never be swept again after one unlucky kill.
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
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deskside import leases

log = logging.getLogger("deskside.scheduler")
LEASE = "scheduler"
# Renewed every second: a node that dies hands the schedule to another within 15 s
# (docs/deploy.md, Two nodes), and a pause of a few seconds does not make two schedulers.
LEASE_TTL = timedelta(seconds=15)


@dataclass(frozen=True)
class Job:
    task_path: str  # "module.attribute" of a django.tasks task
    every: float  # seconds


JOBS = (
    Job("deskside.tickets.tasks.sweep_clocks", 30.0),
    Job("deskside.tickets.tasks.sweep_waiting", 60.0),  # reminders and closes, in days
    Job("deskside.outbox.send.deliver", 15.0),  # retries; new mail is sent at once on commit
    Job("deskside.webhooks.send.deliver", 15.0),  # retries, as for mail
    Job("deskside.webhooks.send.prune_deliveries", 3600.0),
    Job("deskside.mail.tasks.finish_stored_mail", 30.0),
    Job("deskside.runtime.tasks.prune_task_results", 3600.0),
    Job("deskside.runtime.tasks.tally_counts", 30.0),  # the counters of /metrics
    # The monthly report by mail: due on the first business day of a month, sent once.
    Job("deskside.reports.tasks.send_monthly_reports", 3600.0),
    # The reports' rollup: the tickets the actions marked, judged again before a report asks.
    Job("deskside.reports.tasks.keep_rollup", 60.0),
)
# Every job finishes in seconds (deliver: 100 mails at most, each within the SMTP timeout); a
# run RUNNING for this long has no worker left.
STALE_AFTER = timedelta(minutes=30)


def _task(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def _pending(path: str) -> bool:
    _give_up_lost_runs(path)
    return DBTaskResult.objects.filter(
        task_path=path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()


def _give_up_lost_runs(path: str) -> None:
    """Mark the runs of `path` that have been RUNNING since before STALE_AFTER as failed."""
    now = timezone.now()
    lost = list(
        DBTaskResult.objects.filter(
            task_path=path, status=TaskResultStatus.RUNNING, started_at__lt=now - STALE_AFTER
        ).values_list("pk", "started_at")
    )
    if not lost:  # the usual case: one query, no write
        return
    for pk, started_at in lost:
        log.warning(
            "scheduler: %s (task %s) has been running since %s; its worker is gone: marked "
            "failed, scheduled again",
            path,
            pk,
            started_at,
        )
    DBTaskResult.objects.filter(
        pk__in=[pk for pk, _ in lost], status=TaskResultStatus.RUNNING
    ).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path="deskside.runtime.scheduler.WorkerLost",
        traceback=f"No worker finished this run within {STALE_AFTER}: it was killed or lost.",
    )


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
