"""`deskside run`: set up what is missing, then start web, worker and scheduler together."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from deskside.runtime import setup, supervisor
from deskside.runtime.supervisor import say


class Command(BaseCommand):
    help = "Start the whole desk: web server, task worker and scheduler, supervised together."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        notes: list[str] = []
        say("Deskside: preparing the database…")
        setup.prepare(notes, say)
        for note in notes:
            say(self.style.WARNING(note))
        say("Starting:")
        # This run's own folder (under TMPDIR, gone when the desk stops): never shared with
        # another run or another machine, so nothing of a previous run is summed in.
        with tempfile.TemporaryDirectory(prefix="deskside-run-") as folder:
            supervisor.prepare_run_folder(Path(folder))
            code = supervisor.Supervisor(supervisor.parts(Path(folder))).run()
        raise SystemExit(code)
