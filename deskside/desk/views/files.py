"""Attachments as downloads, and the images and PDFs the desk shows (tickets/previews.py): a
file from a mail is rendered by the browser only as the type its bytes prove. The URL names the
file by its random stored name (deskside/tickets/storage.py), not by its number."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from deskside.accounts.access import staff_required
from deskside.tickets import previews
from deskside.tickets.models import Attachment
from deskside.tickets.storage import download


@staff_required
def attachment(request: HttpRequest, token: str) -> HttpResponse:
    response = download(get_object_or_404(Attachment, stored_name=token))
    # staff_required is typed for HttpResponse; a streamed file is the other response kind.
    return cast(HttpResponse, response)


@staff_required
def attachment_inline(request: HttpRequest, token: str) -> HttpResponse:
    """An image or a PDF to be shown (deskside/tickets/previews.py); any other file: 404."""
    response = previews.inline(get_object_or_404(Attachment, stored_name=token))
    return cast(HttpResponse, response)
