"""/api/v1/tickets/{ref}/attachments/{token}: a file of a ticket's message, as a download.

`token` is the file's random stored name, listed with each message in the ticket's detail.
Staff get any file of a ticket they see; a client token only a file of its organisation's
public messages, the portal's rule: anything else is a 404, as a file that does not exist.
"""

from __future__ import annotations

from django.http import FileResponse, HttpRequest
from ninja import Router

from deskside.api.auth import caller
from deskside.api.problems import COMMON, ApiProblem
from deskside.api.schemas import PUBLIC
from deskside.tickets.models import Attachment
from deskside.tickets.storage import download

router = Router(tags=["attachments"])

_FILE = {
    "description": "The file, never rendered (application/octet-stream, a sandbox CSP).",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


@router.get(
    "/tickets/{ref}/attachments/{token}",
    response={200: None, **COMMON},
    summary="Download a file",
    openapi_extra={"responses": {"200": _FILE}},
)
def attachment(request: HttpRequest, ref: str, token: str) -> FileResponse:
    who = caller(request)
    ticket = who.tickets().by_ref(ref)
    files = Attachment.objects.filter(message__ticket=ticket, stored_name=token)
    if who.contact is not None:
        files = files.filter(message__direction__in=PUBLIC)
    found = files.first() if ticket is not None else None
    if found is None:
        raise ApiProblem(404, "not_found", "No such file on that ticket.")
    return download(found)
