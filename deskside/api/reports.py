"""/api/v1/reports/month: a month's figures as JSON, the lead's report or the client's.

Staff: the lead's figures (deskside/reports/figures.py), for leads and admins only (as the
desk's Reports page), optionally for one `organisation`. A client token: its organisation's
monthly report as the portal shows it (deskside/reports/client.py); the organisation is the
token's, always: no parameter can name another, and `organisation` is refused with a 404
unless it is its own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from deskside.accounts.roles import Role, has_role
from deskside.api.auth import Caller, caller
from deskside.api.problems import COMMON, ApiProblem, Problem
from deskside.api.schemas import In
from deskside.reports import client, figures, rollup
from deskside.reports.period import Kind, Period, period_of
from deskside.tickets import policy
from deskside.tickets.models.ticket import format_ref

router = Router(tags=["reports"])


class LevelCount(Schema):
    level: int | None = Field(description="Null: tickets without a level.")
    tickets: int


class ClockOut(Schema):
    level: int
    clock: str = Field(description="first_response, next_update, goal or documentation.")
    promised: str = Field(description="The business time the protocol gives.")
    met: int
    breached: int
    pending: int
    ended: int
    percent_met: float | None = Field(description="Met among met or breached; null: none due.")


class OpenTicket(Schema):
    ref: str
    subject: str
    level: int | None
    status: str
    received_at: date


class MonthFigures(Schema):
    month: str = Field(description="YYYY-MM")
    organisation: int | None
    received: int
    by_level: list[LevelCount]
    clocks: list[ClockOut]
    open_tickets: list[OpenTicket] = Field(description="Open now, the longest waiting first.")
    closes: dict[str, int] = Field(description="Staff: tickets closed by reason.")
    breaches: int = Field(description="Staff: deadlines breached in the month.")


class MonthQuery(In):
    # Years a desk can have figures of: year 0 is no date, 9999-12 has no day after it.
    month: str = Field(pattern=r"^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    organisation: int | None = Field(default=None, ge=1, le=2**63 - 1, description="Staff only.")


@router.get("/reports/month", response={200: MonthFigures, **COMMON, 403: Problem}, summary="Month")
def month_figures(request: HttpRequest, query: Query[MonthQuery]) -> dict[str, Any]:
    who = caller(request)
    organisation = _organisation(who, query.organisation)
    year, month = (int(part) for part in query.month.split("-"))
    period = period_of(Kind.MONTH, date(year, month, 1))
    return _figures(period, organisation, staff=who.is_staff)


def _organisation(who: Caller, asked: int | None) -> int | None:
    if who.contact is not None:
        own = who.contact.organisation_id
        if own is None or asked not in (None, own):
            raise ApiProblem(404, "not_found", "No figures that you may see.")
        return own
    user = who.require_staff_reader()
    if not has_role(user, Role.LEAD, Role.ADMIN):
        raise ApiProblem(403, "leads_only", "The desk's figures are for support leads.")
    return asked


def _figures(period: Period, organisation: int | None, *, staff: bool) -> dict[str, Any]:
    """A client's month from the rollup, as the portal reads it; the lead's (any organisation,
    or all) as the lead's page reads it, with the closes and breaches the client's report
    leaves out."""
    cal, targets, now = policy.calendar(), policy.targets(), timezone.now()
    closes: dict[str, int] = {}
    breaches = 0
    if staff:
        report = rollup.report(
            period, figures.Filters(organisation=organisation), now, cal, targets
        )
        shown = client.Month(report.received, client.by_level(report), report.clocks, report.oldest)
        closes, breaches = dict(report.closes), report.breach_count
    else:
        assert organisation is not None
        shown = client.month(period, organisation, now, cal, targets)
    return {
        "month": period.first.strftime("%Y-%m"),
        "organisation": organisation,
        "received": shown.received,
        "by_level": [{"level": lv, "tickets": n} for lv, n in shown.by_level],
        "clocks": [
            {
                "level": p.level,
                "clock": p.clock,
                "promised": p.promised,
                "met": p.figures.met,
                "breached": p.figures.breached,
                "pending": p.figures.pending,
                "ended": p.figures.ended,
                "percent_met": p.percent,
            }
            for p in client.promises(shown.clocks, targets)
        ],
        "open_tickets": [
            {
                "ref": format_ref(t.pk),
                "subject": t.subject,
                "level": t.level,
                "status": t.status,
                "received_at": t.received_at.astimezone(cal.tz).date(),
            }
            for t in shown.oldest
        ],
        "closes": closes,
        "breaches": breaches,
    }
