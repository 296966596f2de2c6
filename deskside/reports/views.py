"""Desk → Reports: the lead's report of a period, and each of its tables as CSV. Thin: the
figures are deskside/reports/figures.py; these views read the query, check the role, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside.accounts.access import staff_required
from deskside.accounts.models import Organisation
from deskside.accounts.names import display_name
from deskside.accounts.roles import Role, has_role
from deskside.core import csv
from deskside.core.business_time import Calendar
from deskside.core.widgets import QuickSelect
from deskside.reports import behind, figures, rollup, tables
from deskside.reports.chart import backlog_chart, load_chart
from deskside.reports.period import Kind, Period, custom, period_of
from deskside.reports.protocol import Tally
from deskside.tickets import policy
from deskside.tickets.models import CloseReason, Ticket
from deskside.tickets.models.ticket import format_ref

DOOR_NAMES = {"mail": _("Mail"), "portal": _("Portal"), "desk": _("Desk (phone)"), "api": _("API")}
LOW_SHARE = 0.9  # a clock kept less often than this is marked on the page
BREACHES_SHOWN = 100  # rows of the breaches table on the page, the first due first


class ReportForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[
            (Kind.WEEK, _("Week")),
            (Kind.MONTH, _("Month")),
            (Kind.QUARTER, _("Quarter")),
            (Kind.CUSTOM, _("From – to")),
        ],
    )
    day = forms.DateField(
        label=_("Containing"), required=False, widget=forms.DateInput({"type": "date"})
    )
    first = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    last = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    level = forms.TypedChoiceField(
        label=_("Level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("All levels")),
            *((n, _("Level %(n)d") % {"n": n}) for n in figures.LEVELS),
        ],
    )
    organisation = forms.TypedChoiceField(
        label=_("Organisation"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,  # every organisation: Django's own <select> took 0.2 s for 2,000
    )
    agent = forms.TypedChoiceField(
        label=_("Agent"), required=False, coerce=int, empty_value=None, widget=QuickSelect
    )

    def __init__(
        self,
        data: Any,
        organisations: list[tuple[int, str]] | None,
        agents: list[tuple[int, str]] | None,
    ) -> None:
        """`organisations`, `agents`: the choices shown; None where the form is not shown (a
        CSV, a list of tickets), which takes any number as given."""
        super().__init__(data)
        for name, everyone, choices in (
            ("organisation", _("All organisations"), organisations),
            ("agent", _("All agents"), agents),
        ):
            if choices is None:
                self.fields[name] = forms.IntegerField(required=False, min_value=1)
                continue
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = [("", everyone), *choices]

    def chosen(self, today: date) -> tuple[Period, figures.Filters]:
        """The period and filters asked for; a value that does not read falls back to the
        current month and no filter, rather than an error page."""
        data = self.cleaned_data if self.is_valid() else {}
        kind = Kind(data.get("period") or Kind.MONTH)
        if kind == Kind.CUSTOM:
            period = custom(data.get("first") or today, data.get("last") or today)
        else:
            period = period_of(kind, data.get("day") or today)
        return period, figures.Filters(
            data.get("level"), data.get("organisation"), data.get("agent")
        )


def _lead_only(request: HttpRequest) -> None:
    # Per-ticket deadlines of every client, and later per-agent figures: for whoever answers for
    # the deadlines. Agents and technicians are refused in words, as held mail refuses clients.
    if not has_role(request.user, Role.LEAD, Role.ADMIN):
        raise PermissionDenied("the reports are for support leads")


def _agents() -> list[tuple[int, str]]:
    """Whoever can handle a ticket at the desk, for the agent filter."""
    staff = User.objects.filter(
        groups__name__in=(Role.AGENT, Role.LEAD, Role.ADMIN), is_active=True
    ).distinct()
    return sorted(((u.pk, display_name(u)) for u in staff), key=lambda a: a[1].casefold())


def _read(
    request: HttpRequest, cal: Calendar, listed: int | None = None
) -> tuple[ReportForm, figures.Report]:
    """The page's report and the form that shows its period and filters; its breaches all, or
    the first `listed`."""
    organisations = list(Organisation.objects.order_by("name").values_list("pk", "name"))
    agents = _agents()
    form = ReportForm(request.GET, organisations, agents)
    now = timezone.now()
    today = now.astimezone(cal.tz).date()
    period, filters = form.chosen(today)
    # The form shows the period the page shows: the current month on a first visit (not the
    # first choice of the list, a week), or in place of a value that did not read.
    shown = ReportForm(_shown(request.GET, form, period, today), organisations, agents)
    return shown, rollup.report(period, filters, now, cal, policy.targets(), listed)


def _read_only(request: HttpRequest, cal: Calendar, *, summed: bool = True) -> figures.Report:
    """The report asked for, for a CSV or the tickets behind a figure: no form is shown, so
    the organisations and agents to choose from are not read, and a filter is taken as given
    (one that names nobody finds no ticket). `summed`: see rollup.report."""
    form = ReportForm(request.GET, None, None)
    now = timezone.now()
    period, filters = form.chosen(now.astimezone(cal.tz).date())
    return rollup.report(period, filters, now, cal, policy.targets(), summed=summed)


def _shown(query: QueryDict, form: ReportForm, period: Period, today: date) -> QueryDict:
    shown = query.copy() if form.is_valid() else QueryDict(mutable=True)
    shown["period"] = period.kind.value
    if period.kind == Kind.CUSTOM:
        shown["first"], shown["last"] = period.first.isoformat(), period.last.isoformat()
    elif not shown.get("day"):
        shown["day"] = today.isoformat()
    return shown


@staff_required
def report_page(request: HttpRequest) -> HttpResponse:
    _lead_only(request)
    cal = policy.calendar()
    form, report = _read(request, cal, BREACHES_SHOWN)
    after = report.period.following(report.now.astimezone(cal.tz).date())
    context = {
        "form": form,
        "report": report,
        # Not "query": the desk's search box shows that one.
        "report_query": request.GET.urlencode(),
        "previous_query": _shifted(request, report.period.shifted(-1)),
        "next_query": _shifted(request, after) if after else None,
        "clock_rows": _clock_rows(report),
        "duration_rows": report.durations,
        # Thousands a month at a large desk: a page lists the first, the CSV and the list of
        # tickets behind them have them all.
        "breach_rows": [(format_ref(b.ticket), b) for b in report.breaches[:BREACHES_SHOWN]],
        "breach_count": report.breach_count,
        "breached_tickets": report.breached_tickets,
        "matrix_rows": _matrix_rows(report),
        "close_rows": _close_rows(report),
        "refusal_rows": _refusal_rows(report),
        "refusal_percent": tables.share(report.refusals.share),
        "chart": load_chart(report.load, f"Tickets received per day, {report.period.label()}"),
        "levels": figures.LEVELS,
        "backlog_chart": backlog_chart(
            report.backlog, f"Open tickets at the end of each day, {report.period.label()}"
        ),
        "door_rows": [(d, DOOR_NAMES[d], n) for d, n in report.doors.items()],
        "oldest_rows": [(format_ref(t.pk), t) for t in report.oldest],
        "cooperation_rows": _tally_rows(report.protocol.cooperation, tables.COOPERATION_NAMES),
        "visit_rows": _tally_rows(report.protocol.visits, tables.VISIT_NAMES),
        "documentation_rows": _tally_rows(
            report.protocol.documentation, tables.DOCUMENTATION_NAMES
        ),
        "agent_rows": [(a, tables.share(a.share)) for a in report.agents],
    }
    return render(request, "reports/report.html", context)


@staff_required
def report_csv(request: HttpRequest, table: str) -> HttpResponse:
    _lead_only(request)
    make = tables.TABLES.get(table)
    if make is None:
        raise Http404(f"no table {table}")
    cal = policy.calendar()
    report = _read_only(request, cal)
    header, rows = make(report)
    period = report.period
    # A table of a report is small (a row per day, level or breach): written whole, so that
    # the response has a length and passes the desk's middleware like any page.
    response = HttpResponse(
        "".join(csv.rows(header, rows, tz=cal.tz)), content_type="text/csv; charset=utf-8"
    )
    name = f"deskside-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


DRILL_LIMIT = 500  # tickets listed behind one figure


@staff_required
def tickets_behind(request: HttpRequest) -> HttpResponse:
    """The tickets behind one figure of the report: the same period and filters, and the
    figure's key (deskside/reports/behind.py)."""
    _lead_only(request)
    report = _read_only(request, policy.calendar(), summed=False)
    figure = request.GET.get("figure", "")
    found = behind.tickets_behind(report, figure)
    if found is None:
        raise Http404(f"no figure {figure}")
    rows = Ticket.objects.filter(pk__in=found).order_by("received_at", "id")[:DRILL_LIMIT]
    query = request.GET.copy()
    query.pop("figure", None)
    context = {
        "report": report,
        "figure": figure,
        "count": len(found),
        "limit": DRILL_LIMIT,
        "rows": [
            {**row, "ref": format_ref(row["pk"])}
            for row in rows.values("pk", "subject", "severity", "status", "received_at")
        ],
        "back_query": query.urlencode(),
    }
    return render(request, "reports/tickets.html", context)


def _shifted(request: HttpRequest, other: Period) -> str:
    """The page's query for `other` period, its filters kept."""
    query = request.GET.copy()
    for key in ("day", "first", "last"):
        query.pop(key, None)
    if other.kind == Kind.CUSTOM:
        query["first"], query["last"] = other.first.isoformat(), other.last.isoformat()
    else:
        query["day"] = other.first.isoformat()
    query["period"] = other.kind.value
    return query.urlencode()


def _clock_rows(report: figures.Report) -> list[dict[str, object]]:
    return [
        {
            "figures": c,
            "name": tables.CLOCK_NAMES[c.clock],
            "percent": tables.share(c.share),
            "low": c.share is not None and c.share < LOW_SHARE,
        }
        for c in report.clocks
    ]


def _matrix_rows(report: figures.Report) -> list[tuple[int, list[dict[str, object]]]]:
    """The claimed × assessed table; a cell's shade is its share of the busiest cell."""
    peak = max(report.matrix.values(), default=0) or 1
    return [
        (
            claimed,
            [
                {
                    "n": report.matrix[(claimed, assessed)],
                    "heat": _heat(report.matrix[(claimed, assessed)], peak),
                    "diagonal": claimed == assessed,
                    "assessed": assessed,
                }
                for assessed in figures.LEVELS
            ],
        )
        for claimed in figures.LEVELS
    ]


def _heat(n: int, peak: int) -> str:
    return f"heat-{0 if n == 0 else max(1, round(5 * n / peak))}"


def _close_rows(report: figures.Report) -> list[tuple[str, str, int]]:
    labels = dict(CloseReason.choices)
    return [(reason, str(labels[reason]), n) for reason, n in report.closes]


def _refusal_rows(report: figures.Report) -> list[tuple[str, str, int, int]]:
    r = report.refusals
    return [(k, tables.REFUSAL_NAMES[k], r.closed[k], r.came_back[k]) for k in tables.REFUSAL_NAMES]


def _tally_rows(found: dict[str, Tally], names: dict[str, str]) -> list[tuple[str, str, Tally]]:
    return [(key, names[key], found[key]) for key in names]
