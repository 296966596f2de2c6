"""/api/v1/visits and /tickets/{ref}/visits: on-site visits, for staff to read.

Requesting, scheduling and reporting a visit stay in the desk (deskside/onsite), where the
address is checked with the person who drives there. A client token: `staff_only`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from deskside.api.auth import caller
from deskside.api.pages import LAST_ID, LIMIT, by_id
from deskside.api.problems import COMMON, Problem
from deskside.api.schemas import In
from deskside.onsite.models import Visit, VisitStatus

router = Router(tags=["visits"])

READ = {**COMMON, 403: Problem}


class VisitOut(Schema):
    id: int
    ticket: str = Field(description="The ticket's reference.")
    status: str
    reason: str
    address: str
    country: str
    technician: str | None = Field(description="Username of the technician, once scheduled.")
    start: datetime | None
    end: datetime | None
    refusal: str = Field(description="Why it cannot take place (e.g. outside Belgium).")
    outcome: str = Field(description="The technician's report.")
    solved: bool | None
    created_at: datetime


class VisitPage(Schema):
    items: list[VisitOut]
    next_before: int | None = Field(description="Pass as `before` for the next page; null: last.")


class VisitQuery(In):
    status: VisitStatus | None = None
    technician: str | None = Field(default=None, description='"me" or a username.')
    before: int | None = LAST_ID
    limit: int = LIMIT


def _visits() -> QuerySet[Visit]:
    return Visit.objects.select_related("ticket", "technician")


def _out(v: Visit) -> dict[str, Any]:
    return {
        "id": v.pk,
        "ticket": v.ticket.ref,
        "status": v.status,
        "reason": v.reason,
        "address": v.address,
        "country": v.country,
        "technician": v.technician.get_username() if v.technician else None,
        "start": v.start,
        "end": v.end,
        "refusal": v.refusal,
        "outcome": v.outcome,
        "solved": v.solved,
        "created_at": v.created_at,
    }


@router.get("/visits", response={200: VisitPage, **READ}, summary="Visits")
def list_visits(request: HttpRequest, query: Query[VisitQuery]) -> dict[str, Any]:
    """Every visit, newest first; by status, by technician."""
    user = caller(request).require_staff_reader()
    rows = _visits()
    if query.status:
        rows = rows.filter(status=query.status)
    if query.technician == "me":
        rows = rows.filter(technician=user)
    elif query.technician:
        rows = rows.filter(technician__username=query.technician)
    shown, before = by_id(rows, query.before, query.limit, newest=True)
    return {"items": [_out(v) for v in shown], "next_before": before}


@router.get(
    "/tickets/{ref}/visits", response={200: list[VisitOut], **READ}, summary="A ticket's visits"
)
def ticket_visits(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    who = caller(request)
    ticket = who.ticket(ref)
    who.require_staff_reader()
    return [_out(v) for v in _visits().filter(ticket=ticket).order_by("id")]
