"""`deskside restore FILE`: a backup of `deskside backup` into this data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskside.runtime import restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `deskside backup` into the data directory (and the SQLite "
        "database), after checking every file against the manifest's checksums. Refuses a data "
        "directory that already holds a desk unless --force. Stop the desk first."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the archive made by `deskside backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the data directory (and the SQLite database) holds now",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = restore.restore(options["file"], force=options["force"])
        except (restore.RestoreError, OSError, ValueError) as error:
            # OSError and tarfile's errors (a ValueError subclass among them) are a missing or
            # unreadable file: one sentence, as for any other refusal.
            raise CommandError(f"nothing restored: {error}") from None
        what = [f"{done.files} file{'' if done.files == 1 else 's'}"]
        if done.database:
            what.insert(0, f"the database ({done.tickets} tickets)")
        if done.replaced:
            what.append(f"replacing {done.replaced} files that were there")
        self.stdout.write(f"Restored {', '.join(what)} in {done.seconds:.1f} s.")
        if not done.secret_key:
            self.stdout.write("The backup has no secret key: set SECRET_KEY as the desk had it.")
        if not done.database:
            self.stdout.write("The backup has no database: restore it with pg_restore.")
        self.stdout.write("Start the desk with `deskside run` (it applies newer migrations).")
