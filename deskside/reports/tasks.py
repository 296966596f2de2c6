"""Worker tasks of the reports: the monthly report by mail (deskside/reports/monthly.py), and
the rollup of the clocks kept up to date (deskside/reports/rollup.py)."""

from __future__ import annotations

from django.tasks import task

from deskside.reports import monthly, rollup
from deskside.tickets import policy


@task()
def send_monthly_reports() -> int:
    return monthly.send_due()


@task()
def keep_rollup() -> bool:
    """Judge again the tickets the actions marked since the last run, so that a report finds
    little left to do; False while the rollup waits for `deskside backfill_reports` (a new
    calendar or targets: judging every ticket is too long for a job that runs every minute)."""
    return rollup.ready(policy.calendar(), policy.targets())
