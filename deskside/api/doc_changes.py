"""/api/v1/doc-changes: the documentation backlog, as the desk shows it (deskside/docs).

Planned changes, the nearest documentation due time first; paused ones (the ticket waits on the
client) last. Staff read it; recording a change stays in the desk. A client token: `staff_only`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from deskside.api.auth import caller
from deskside.api.problems import COMMON, Problem
from deskside.docs.backlog import BacklogRow, backlog

router = Router(tags=["documentation"])


class DocChangeOut(Schema):
    id: int
    ticket: str = Field(description="The ticket's reference.")
    document: str
    what: str
    where: str
    due: datetime | None = Field(description="Null while the documentation clock is paused.")
    seconds_left: int | None = Field(description="Business time left; negative once overdue.")
    mark: str = Field(description='"", "due-warn" (75% of the time used) or "due-breach".')


def _out(row: BacklogRow) -> dict[str, Any]:
    change = row.change
    return {
        "id": change.pk,
        "ticket": change.ticket.ref,
        "document": change.document,
        "what": change.what,
        "where": change.where,
        "due": row.due,
        "seconds_left": int(row.left.total_seconds()) if row.left is not None else None,
        "mark": row.mark,
    }


@router.get(
    "/doc-changes",
    response={200: list[DocChangeOut], **COMMON, 403: Problem},
    summary="Documentation backlog",
)
def doc_changes(request: HttpRequest) -> list[dict[str, Any]]:
    caller(request).require_staff_reader()
    return [_out(row) for row in backlog(timezone.now())]
