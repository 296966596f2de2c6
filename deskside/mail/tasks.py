"""Worker tasks of the mail intake."""

from __future__ import annotations

from django.tasks import task

from deskside.mail.intake import process_pending


@task()
def finish_stored_mail() -> int:
    """Process mail that a door stored but nobody processed (a crash, a restart)."""
    return process_pending()
