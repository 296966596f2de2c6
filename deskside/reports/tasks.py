"""Worker tasks of the reports: the monthly report by mail (deskside/reports/monthly.py)."""

from __future__ import annotations

from django.tasks import task

from deskside.reports import monthly


@task()
def send_monthly_reports() -> int:
    return monthly.send_due()
