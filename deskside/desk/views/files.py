"""Attachments, always as downloads: a file from a mail is never rendered by the browser."""

from __future__ import annotations

from typing import cast

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from deskside.accounts.access import staff_required
from deskside.tickets.models import Attachment
from deskside.tickets.storage import attachment_path


@staff_required
def attachment(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Attachment, pk=pk)
    try:
        handle = attachment_path(found.stored_name).open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing from the data directory") from None
    # The stored type came with the mail, so the sender chose it: never let it decide rendering.
    response = FileResponse(
        handle, as_attachment=True, filename=found.filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # staff_required is typed for HttpResponse; a streamed file is the other response kind.
    return cast(HttpResponse, response)
