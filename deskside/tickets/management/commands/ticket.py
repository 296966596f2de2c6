"""`deskside ticket show REF`: print a ticket as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from deskside.tickets.models import Ticket
from deskside.tickets.show import as_json


class Command(BaseCommand):
    help = "Show a ticket as JSON: deskside ticket show CCS-1042"

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="print the ticket as JSON")
        show.add_argument("ref", help="the ticket reference, e.g. CCS-1042")

    def handle(self, *args: Any, **options: Any) -> None:
        ref = options["ref"]
        ticket = Ticket.objects.select_related("contact", "organisation", "assignee").by_ref(ref)
        if ticket is None:
            raise CommandError(f"no ticket {ref!r}")
        self.stdout.write(json.dumps(as_json(ticket), ensure_ascii=False, indent=2))
