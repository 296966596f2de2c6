"""Attachment files: random names on disk, so no client-chosen name ever reaches a path, and
served only as downloads from URLs that cannot be guessed.

A stored file's URL names it by its random stored name; a file with no name of its own (a held
mail's file, a mail's raw bytes) by its number and a key only Deskside can make (`file_key`).
Whatever the URL, the view still checks who asks (staff; the client's organisation).
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils.crypto import constant_time_compare, salted_hmac

from deskside.outbox.send import FILES_FOLDER, Attached
from deskside.tickets.models import Attachment, Message


def attachment_path(stored_name: str) -> Path:
    return Path(settings.DATA_DIR) / in_data_dir(stored_name)


def in_data_dir(stored_name: str) -> str:
    """Where a stored file lives, relative to the data directory (the outbox reads it there)."""
    return f"{FILES_FOLDER}/{stored_name[:2]}/{stored_name}"


def as_attached(found: Attachment) -> Attached:
    """A stored file, to go out with a mail under the name and type it was given."""
    return Attached(found.filename, found.content_type, in_data_dir(found.stored_name))


def save_attachment(
    message: Message, filename: str, content_type: str, payload: bytes, content_id: str = ""
) -> Attachment:
    stored_name = secrets.token_hex(16)
    path = attachment_path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return Attachment.objects.create(
        message=message,
        stored_name=stored_name,
        filename=filename[:255] or "attachment",
        content_type=content_type[:255] or "application/octet-stream",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        content_id=content_id[:255],
    )


def download(found: Attachment) -> FileResponse:
    """A stored file as a download (see as_download)."""
    try:
        handle = attachment_path(found.stored_name).open("rb")
    except FileNotFoundError:
        raise Http404("the file is missing from the data directory") from None
    return as_download(handle, found.filename)


def file_key(*parts: object) -> str:
    """The key in the URL of a file that has no random name: an HMAC of what names the file under
    SECRET_KEY, so that the URL of mail 41's file does not give mail 42's."""
    return salted_hmac("deskside.files", ":".join(map(str, parts))).hexdigest()[:32]


def check_file_key(key: str, *parts: object) -> None:
    if not constant_time_compare(key, file_key(*parts)):
        raise Http404("no such file")


def as_download(handle: BinaryIO, filename: str) -> FileResponse:
    """A file from a mail as a download, never rendered: its type came with the mail, so the
    sender chose it, and an HTML or SVG file must not run in our origin (desk and portal alike,
    stored files and a held mail's files alike). The name loses any character that is not
    printable: names are cleaned when a file is taken in, and a header cannot hold a line break."""
    filename = "".join(ch for ch in filename if ch.isprintable()) or "attachment"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    # Should htmx ever fetch a file (a boosted link), it puts nothing of it into the page: an
    # HTML file swapped into the desk would carry hx-* attributes that act as the agent.
    response["HX-Reswap"] = "none"
    return response
