"""The scheduler keeps every job alive after a worker dies in the middle of a run, never runs a
job twice at once, and the task table keeps two weeks of history, not all of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deskside.runtime import scheduler, tasks

pytestmark = pytest.mark.django_db

SWEEP = "deskside.tickets.tasks.sweep_clocks"


def run_of(
    path: str,
    status: TaskResultStatus,
    *,
    started_ago: timedelta | None = None,
    finished_ago: timedelta | None = None,
) -> DBTaskResult[Any, Any]:
    """A row as the worker leaves it: enqueued, then claimed, then (maybe) finished."""
    now = timezone.now()
    row = DBTaskResult.objects.get(pk=scheduler._task(path).enqueue().id)
    row.status = status
    row.started_at = now - started_ago if started_ago is not None else None
    row.finished_at = now - finished_ago if finished_ago is not None else None
    row.save()
    return row


def runs(path: str) -> list[str]:
    return sorted(DBTaskResult.objects.filter(task_path=path).values_list("status", flat=True))


def test_a_run_whose_worker_was_killed_does_not_stop_the_job_for_ever(caplog):
    lost = run_of(SWEEP, TaskResultStatus.RUNNING, started_ago=timedelta(hours=2))
    assert SWEEP in scheduler.tick({}, now=1e9)
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.FAILED and lost.finished_at is not None
    assert lost.exception_class_path == "deskside.runtime.scheduler.WorkerLost"
    assert runs(SWEEP) == [TaskResultStatus.FAILED, TaskResultStatus.READY]
    assert f"{SWEEP} (task {lost.pk}) has been running since" in caplog.text


def test_a_job_still_running_or_waiting_is_not_scheduled_twice():
    run_of(SWEEP, TaskResultStatus.RUNNING, started_ago=timedelta(minutes=5))
    waiting = "deskside.tickets.tasks.sweep_waiting"
    run_of(waiting, TaskResultStatus.READY)
    enqueued = scheduler.tick({}, now=1e9)
    assert SWEEP not in enqueued and waiting not in enqueued
    assert runs(SWEEP) == [TaskResultStatus.RUNNING]
    assert runs(waiting) == [TaskResultStatus.READY]
    # The others go on, the upkeep of this very table among them.
    assert {"deskside.outbox.send.deliver", "deskside.runtime.tasks.prune_task_results"} <= set(
        enqueued
    )


def test_finished_runs_are_kept_two_weeks_and_unfinished_ones_always(monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK", 2)  # several chunks
    old, recent = timedelta(days=15), timedelta(days=13)
    for _ in range(3):
        run_of(SWEEP, TaskResultStatus.SUCCESSFUL, started_ago=old, finished_ago=old)
    run_of(SWEEP, TaskResultStatus.FAILED, started_ago=old, finished_ago=old)
    run_of(SWEEP, TaskResultStatus.SUCCESSFUL, started_ago=recent, finished_ago=recent)
    run_of(SWEEP, TaskResultStatus.RUNNING, started_ago=timedelta(minutes=1))
    run_of(SWEEP, TaskResultStatus.READY)

    assert tasks.prune_task_results.call() == 4
    assert runs(SWEEP) == [
        TaskResultStatus.READY,
        TaskResultStatus.RUNNING,
        TaskResultStatus.SUCCESSFUL,
    ]


def test_pruning_stops_after_its_share_and_goes_on_next_time(monkeypatch):
    monkeypatch.setattr(tasks, "CHUNK", 2)
    long_ago = timedelta(days=30)
    for _ in range(5):
        run_of(SWEEP, TaskResultStatus.SUCCESSFUL, started_ago=long_ago, finished_ago=long_ago)
    before = timezone.now() - tasks.KEEP_FINISHED
    assert tasks.prune_finished(before, most=3) == 4  # whole chunks, until the share is passed
    assert tasks.prune_finished(before, most=3) == 1
    assert runs(SWEEP) == []
