"""`deskside backup FILE`: the database, the files and the secret key in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskside.runtime import backup


class Command(BaseCommand):
    help = (
        "Write a backup of the running desk to FILE (a tar.gz): the SQLite database through "
        "its online backup API, the attachments, raw mail and secret key, with a manifest of "
        "checksums. On PostgreSQL use pg_dump for the database and --files-only here."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the archive to write (replaced if it exists)")
        parser.add_argument(
            "--files-only",
            action="store_true",
            help="leave the database out (PostgreSQL: pg_dump saves it)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            made = backup.make(options["file"], files_only=options["files_only"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        database = f"the database ({_mb(made.database_bytes)}) and " if made.database_bytes else ""
        key = ", the secret key among them" if made.secret_key else " (no secret key: SECRET_KEY)"
        self.stdout.write(
            f"Backed up {database}{made.files} file{'' if made.files == 1 else 's'} "
            f"({_mb(made.file_bytes)}){key} "
            f"to {made.path} in {made.seconds:.1f} s."
        )


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
