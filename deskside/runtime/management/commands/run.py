"""`deskside run`: set up what is missing, then start web, worker and scheduler together."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from deskside.runtime import setup, supervisor


class Command(BaseCommand):
    help = "Start the whole desk: web server, task worker and scheduler, supervised together."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        notes: list[str] = []
        self.stdout.write("Deskside: preparing the database…")
        setup.prepare(notes)
        for note in notes:
            self.stdout.write(self.style.WARNING(note))
        self.stdout.write("Starting:")
        self.stdout.flush()
        raise SystemExit(supervisor.Supervisor(supervisor.parts()).run())
