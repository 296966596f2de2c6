"""The organisation's monthly report in the portal (issue 16): its tickets by level, what the
protocol promised and what was delivered per clock, and its open tickets, in the client's
language. The figures are the lead's, read from the reports' rollup (deskside/reports/client.py),
always filtered to the signed-in contact's own organisation: no parameter of the request can
name another."""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from deskside.accounts.models import Contact
from deskside.portal.labels import status_label
from deskside.portal.session import contact_required
from deskside.reports import client
from deskside.reports.period import Kind, Period, period_of
from deskside.tickets import policy
from deskside.tickets.models.ticket import format_ref


@require_http_methods(["GET"])
@contact_required
def monthly_report(request: HttpRequest, contact: Contact) -> HttpResponse:
    if contact.organisation_id is None:
        raise Http404("a report is for an organisation")
    cal = policy.calendar()
    now = timezone.now()
    today = now.astimezone(cal.tz).date()
    month = _month(request.GET.get("month", ""), today)
    after = month.following(today)
    targets = policy.targets()
    found = client.month(month, contact.organisation_id, now, cal, targets)
    context = {
        "contact": contact,
        "month": month.first,
        "previous": month.shifted(-1).first.strftime("%Y-%m"),
        "next": after.first.strftime("%Y-%m") if after else None,
        "by_level": found.by_level,
        "promises": client.promises(found.clocks, targets),
        "open_rows": [(format_ref(t.pk), t, status_label(t.status)) for t in found.oldest],
        "received": found.received,
    }
    return render(request, "portal/report.html", context)


def _month(text: str, today: date) -> Period:
    """The month asked for as YYYY-MM; the current one when it does not read."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return period_of(Kind.MONTH, date(year, month, 1))
    except ValueError:
        return period_of(Kind.MONTH, today)
