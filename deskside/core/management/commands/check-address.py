"""`deskside check-address COUNTRY POSTAL_CODE`: may an on-site visit go there? As JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from deskside.core.postal import check_address


class Command(BaseCommand):
    help = "Print whether an on-site visit is allowed at an address, and its province (JSON)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("country", help="ISO 3166 country code, e.g. BE")
        parser.add_argument("postal_code", help="the postal code, e.g. 1000")

    def handle(self, *args: Any, **options: Any) -> None:
        # A refusal is a normal answer, not a failure: the exit code stays 0 either way.
        eligibility = check_address(options["country"], options["postal_code"])
        self.stdout.write(json.dumps(eligibility.as_dict(), ensure_ascii=False))
