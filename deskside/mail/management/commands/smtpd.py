"""`deskside smtpd [--lmtp]`: the SMTP (or LMTP) door on DESKSIDE_SMTPD until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from deskside.mail import smtpd


class Command(BaseCommand):
    help = "Accept mail for the support address over SMTP (or LMTP) and store it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--lmtp",
            action="store_true",
            help="speak LMTP (for an MTA's lmtp transport) instead of SMTP",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        # aiosmtpd logs every command of every session at INFO; our handler logs what matters.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        listener = smtpd.listener(lmtp=options["lmtp"])
        try:
            listener.start()
        except OSError as error:  # port taken or not ours: one sentence, not a traceback
            raise CommandError(f"cannot listen on {settings.DESKSIDE_SMTPD}: {error}") from None
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        smtpd.log.info("smtpd: %s on %s", protocol, settings.DESKSIDE_SMTPD)
        stop.wait()
        listener.stop()
