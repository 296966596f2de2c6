"""The organisation's monthly report in the portal (issue 16): its tickets by level, what the
protocol promised and what was delivered per clock, and its open tickets, in the client's
language. The figures are the lead's (deskside/reports/figures.py), always filtered to the
signed-in contact's own organisation: no parameter of the request can name another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from deskside.accounts.models import Contact
from deskside.core.clocks import Targets, short_duration
from deskside.portal.labels import status_label
from deskside.portal.session import contact_required
from deskside.reports import figures
from deskside.reports.period import Kind, Period, period_of
from deskside.tickets import policy
from deskside.tickets.models.ticket import format_ref

CLOCK_NAMES = {
    "first_response": _("First response"),
    "next_update": _("Next update"),
    "goal": _("Goal"),
    "documentation": _("Documentation"),
}


@dataclass(frozen=True)
class Promise:
    level: int
    clock: str
    name: str
    promised: str  # the business time the protocol gives
    figures: figures.ClockFigures
    percent: float | None


@require_http_methods(["GET"])
@contact_required
def monthly_report(request: HttpRequest, contact: Contact) -> HttpResponse:
    if contact.organisation_id is None:
        raise Http404("a report is for an organisation")
    cal = policy.calendar()
    now = timezone.now()
    month = _month(request.GET.get("month", ""), now.astimezone(cal.tz).date())
    targets = policy.targets()
    only = figures.Filters(organisation=contact.organisation_id)
    report = figures.report(month, only, now, cal, targets)
    context = {
        "contact": contact,
        "month": month.first,
        "previous": month.shifted(-1).first.strftime("%Y-%m"),
        "next": month.shifted(1).first.strftime("%Y-%m"),
        "by_level": by_level(report),
        "promises": promises(report, targets),
        "open_rows": [(format_ref(t.pk), t, status_label(t.status)) for t in report.oldest],
        "received": len(report.tickets),
    }
    return render(request, "portal/report.html", context)


def _month(text: str, today: date) -> Period:
    """The month asked for as YYYY-MM; the current one when it does not read."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return period_of(Kind.MONTH, date(year, month, 1))
    except ValueError:
        return period_of(Kind.MONTH, today)


def by_level(report: figures.Report) -> list[tuple[int | None, int]]:
    counted = {level: 0 for level in (*figures.LEVELS, None)}
    for ticket in report.tickets:
        counted[ticket.level] += 1
    return list(counted.items())


def promises(report: figures.Report, targets: dict[int, Targets]) -> list[Promise]:
    found = []
    for c in report.clocks:
        target = getattr(targets[c.level], c.clock)
        promised = short_duration(target) if target is not None else ""
        name = str(CLOCK_NAMES[c.clock])
        found.append(Promise(c.level, c.clock, name, promised, c, _percent(c.share)))
    return found


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)
