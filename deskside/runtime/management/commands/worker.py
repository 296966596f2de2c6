"""`deskside worker`: run tasks as they are enqueued (deskside/runtime/worker.py), until SIGTERM.

It takes `db_worker`'s options; `--batch`, `--max-tasks` and `--reload` are db_worker's alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from deskside.runtime.worker import Worker


class Command(DatabaseWorkerCommand):
    help = "Run the desk's tasks the moment they are enqueued."

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] or options["max_tasks"] or options["reload"]:
            raise CommandError("--batch, --max-tasks and --reload are db_worker's: use it for them")
        self.configure_logging(options["verbosity"])
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=False,
            backend_name=options["backend_name"],
            startup_delay=False,
            max_tasks=None,
            worker_id=options["worker_id"],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
