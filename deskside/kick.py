"""Asking the worker to run a task now: one waiting run of it at a time, not one per change."""

from __future__ import annotations

from typing import Any

from django.tasks import Task
from django_tasks_db.models import DBTaskResult


def kick(task: Task[[], Any]) -> None:
    """Enqueue `task` unless a run of it is already waiting to start.

    Call it once the change it is for is committed (`transaction.on_commit`): the waiting run
    reads the database when it starts, after that commit, and so finds the change. A burst of
    three hundred mails then enqueues a run or two, not three hundred, each an INSERT (and on
    PostgreSQL a NOTIFY) after its commit, and on SQLite one more turn of the write lock. Two
    callers that look at once may both enqueue: two runs, as before, never none."""
    waiting = DBTaskResult.objects.ready().filter(
        task_path=task.module_path, queue_name=task.queue_name
    )
    if not waiting.exists():
        task.enqueue()
