"""Worker tasks of the reports: the monthly report by mail (deskside/reports/monthly.py), and
the rollup of the clocks kept up to date (deskside/reports/rollup.py)."""

from __future__ import annotations

from django.tasks import task

from deskside.reports import monthly, rollup
from deskside.tickets import policy
from deskside.tickets.models import Ticket


@task()
def send_monthly_reports() -> int:
    return monthly.send_due()


# A desk of at most this many tickets has its rollup judged whole by the worker (a new desk,
# an upgrade, a new policy): a few seconds (216 s for a million in bench/reports.py), where a
# larger desk's backfill waits for whoever runs it, in a quiet hour (the lead's page says so).
SMALL_DESK = 10_000


@task()
def keep_rollup() -> bool:
    """Judge again the tickets the actions marked since the last run, so that a report finds
    little left to do; on a small desk, judge every ticket when the rollup waits for it. False
    while it waits for `deskside backfill_reports` (a new calendar or targets, an upgrade:
    judging a large desk's every ticket is too long for a job that runs every minute)."""
    cal, targets = policy.calendar(), policy.targets()
    if rollup.ready(cal, targets):
        return True
    if Ticket.objects.count() > SMALL_DESK:
        return False
    rollup.backfill(cal, targets)
    return True
