"""`deskside backfill_reports`: judge every ticket's clocks again from its events, under the
current calendar and targets (docs/reports.md, How the figures are kept). Run it once after the
upgrade that adds the rollup, and after a lead changes a target, the hours or a closing day:
until then the reports read the events, exact but slow."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from deskside.reports import rollup
from deskside.tickets import policy


class Command(BaseCommand):
    help = "Judge every ticket's clocks again for the reports (after an upgrade or a new policy)."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        policy.clear()
        done = rollup.backfill(policy.calendar(), policy.targets())
        if options["verbosity"] >= 1:
            seconds = time.perf_counter() - started
            self.stdout.write(f"{done} tickets judged in {seconds:.1f} s")
