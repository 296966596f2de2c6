"""`deskside imap_poll [--processed-folder NAME] [--once]`: the IMAP door on DESKSIDE_IMAP_URL."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskside import oauth
from deskside.mail import imap


class Command(BaseCommand):
    help = "Take mail from the IMAP mailbox (IDLE when offered), store and process it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--processed-folder",
            default=settings.DESKSIDE_IMAP_PROCESSED_FOLDER,
            help="where processed mail goes; created if missing (default: %(default)s)",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="one pass over the mailbox, then exit (needs no lease)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        server = settings.DESKSIDE_IMAP
        if server is None:
            raise CommandError("DESKSIDE_IMAP_URL is not set: there is no mailbox to poll")
        if options["once"]:
            try:
                with imap.connected(server) as box:
                    folder = imap.ensure_folder(box, options["processed_folder"])
                    count = imap.poll_once(box, folder, limit=10**9)
            except oauth.OAuthError as error:  # a lead's to fix: a sentence, not a traceback
                raise CommandError(str(error)) from None
            self.stdout.write(f"deskside imap_poll: {count} mail(s) taken")
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        imap.Poller(server, processed_folder=options["processed_folder"]).run(stop)
