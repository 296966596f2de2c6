"""Attachment files: random names on disk, so no client-chosen name ever reaches a path."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from django.conf import settings

from deskside.tickets.models import Attachment, Message


def attachment_path(stored_name: str) -> Path:
    return Path(settings.DATA_DIR) / "attachments" / stored_name[:2] / stored_name


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
