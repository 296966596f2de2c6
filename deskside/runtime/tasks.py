"""Upkeep of the task queue itself, and the counters of /metrics."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deskside.runtime import tally

# A finished run stays this long for the admin (Tasks), then goes: the scheduler adds a few
# rows a minute and every outbound mail one, which would otherwise pile up for ever.
KEEP_FINISHED = timedelta(days=14)
# Deleted a chunk at a time, so that a first prune of a large table does not hold SQLite's
# write lock (and the intake with it) for long.
CHUNK = 1_000


@task()
def tally_counts() -> int:
    """The counters of /metrics (deskside/runtime/tally.py)."""
    return tally.advance_all()


@task()
def prune_task_results() -> int:
    return prune_finished(timezone.now() - KEEP_FINISHED)


def prune_finished(before: datetime, *, most: int = 100 * CHUNK) -> int:
    """Delete finished runs (successful or failed) that finished before `before`; returns how
    many. Runs waiting or running are never touched."""
    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED], finished_at__lt=before
    )
    deleted = 0
    while deleted < most:
        ids = list(old.values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        deleted += DBTaskResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
