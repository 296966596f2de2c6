"""`deskside check-subject SUBJECT`: how the protocol reads a subject, as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from deskside.core.severity import read_severity


class Command(BaseCommand):
    help = "Print how the protocol reads the severity in a mail subject (JSON)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("subject", help="the subject line, quoted")

    def handle(self, *args: Any, **options: Any) -> None:
        reading = read_severity(options["subject"])
        self.stdout.write(json.dumps(reading.as_dict(), ensure_ascii=False))
