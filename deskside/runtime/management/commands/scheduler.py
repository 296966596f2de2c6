"""`deskside scheduler`: run the periodic scheduler until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from deskside.runtime import scheduler


class Command(BaseCommand):
    help = "Enqueue the protocol's periodic work (clock sweep, reminders) for the worker."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        scheduler.run(stop)
