"""Attachments, always as downloads: a file from a mail is never rendered by the browser. The
URL names the file by its random stored name (deskside/tickets/storage.py), not by its number."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from deskside.accounts.access import staff_required
from deskside.tickets.models import Attachment
from deskside.tickets.storage import download


@staff_required
def attachment(request: HttpRequest, token: str) -> HttpResponse:
    response = download(get_object_or_404(Attachment, stored_name=token))
    # staff_required is typed for HttpResponse; a streamed file is the other response kind.
    return cast(HttpResponse, response)
