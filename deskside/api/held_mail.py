"""/api/v1/held-mail: the mails the intake holds for review, as the desk's Held mail list.

Staff read them (a client token: `staff_only`); releasing or refusing one stays in the desk,
where the person sees the whole mail. A mail that cannot be read says why (`unreadable`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params.functions import Path

from deskside.api.auth import caller
from deskside.api.pages import LAST_ID, LIMIT, by_id
from deskside.api.problems import COMMON, ApiProblem, Problem
from deskside.api.schemas import In
from deskside.mail import held
from deskside.mail.models import InboundMail, InboundStatus

router = Router(tags=["held mail"])

READ = {**COMMON, 403: Problem}


class HeldSummary(Schema):
    id: int
    status: str = Field(description="quarantined while it waits; else what became of it.")
    from_address: str
    subject: str
    received_at: datetime
    why: str = Field(description="Why it is held, in a sentence.")
    claimed_ticket: str | None = Field(description="The ticket its subject or thread names.")


class HeldFile(Schema):
    filename: str
    content_type: str
    size: int


class HeldDetail(HeldSummary):
    text: str
    unreadable: str = Field(description="Why the mail cannot be read; empty when it can.")
    files: list[HeldFile]


class HeldPage(Schema):
    items: list[HeldSummary]
    waiting: int = Field(description="How many mails wait for review in all.")
    next_after: int | None = Field(description="Pass as `after` for the next page; null: last.")


class HeldQuery(In):
    after: int | None = LAST_ID
    limit: int = LIMIT


def _summary(mail: InboundMail) -> dict[str, Any]:
    claimed = mail.claimed_ticket
    return {
        "id": mail.pk,
        "status": mail.status,
        "from_address": mail.from_address,
        "subject": mail.subject,
        "received_at": mail.received_at,
        "why": held.why(mail),
        "claimed_ticket": claimed.ref if claimed else None,
    }


@router.get("/held-mail", response={200: HeldPage, **READ}, summary="Held mail")
def list_held(request: HttpRequest, query: Query[HeldQuery]) -> dict[str, Any]:
    """The mails waiting for review, oldest first (the desk's order)."""
    caller(request).require_staff_reader()
    rows = InboundMail.objects.filter(status=InboundStatus.QUARANTINED).select_related(
        "claimed_ticket"
    )
    shown, after = by_id(rows, query.after, query.limit)
    return {"items": [_summary(m) for m in shown], "waiting": held.waiting(), "next_after": after}


@router.get("/held-mail/{id}", response={200: HeldDetail, **READ}, summary="One held mail")
def get_held(request: HttpRequest, id: int = Path(ge=1, le=2**63 - 1)) -> dict[str, Any]:
    """The mail as the intake reads it: its text and files (not their contents)."""
    caller(request).require_staff_reader()
    mail = (
        InboundMail.objects.select_related("claimed_ticket")
        .filter(pk=id, status=InboundStatus.QUARANTINED)
        .first()
    )
    if mail is None:
        raise ApiProblem(404, "not_found", f"No held mail {id}.")
    parsed, unreadable = held.read_or_why(mail)
    claimed = held.claimed(mail, parsed)  # also for a mail held before the intake recorded it
    return {
        **_summary(mail),
        "claimed_ticket": claimed.ref if claimed else None,
        "text": parsed.text if parsed else "",
        "unreadable": unreadable,
        "files": [
            {"filename": f.filename, "content_type": f.content_type, "size": f.size}
            for f in (parsed.attachments if parsed else ())
        ],
    }
