"""`deskside migrate`: Django's migrate, one process at a time per database
(deskside/runtime/migration_lock.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from deskside.runtime import migration_lock


class Command(DjangoMigrate):
    help = (
        "Bring the database schema up to date; a second process started meanwhile (another "
        "node) waits for the first instead of applying the same migrations again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with migration_lock.held(self.stderr.write, options["database"]):
            super().handle(*args, **options)
