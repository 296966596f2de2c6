"""Prints, as JSON, what a desk holds: `python -m tests.runtime.inventory` with the desk's
DESKSIDE_DATA_DIR (and DATABASE_URL). Every attachment and raw mail is read back from where the
desk keeps it, and hashed."""

from __future__ import annotations

import hashlib
import json
import os


def inventory() -> dict[str, object]:
    from deskside.mail import rawstore
    from deskside.mail.models import InboundMail
    from deskside.tickets.models import Attachment, Message, Ticket
    from deskside.tickets.storage import attachment_path

    def readable(path: object) -> str | None:
        try:
            return hashlib.sha256(path.read_bytes()).hexdigest()  # type: ignore[attr-defined]
        except OSError:
            return None

    return {
        "tickets": {t.ref: [t.subject, t.status] for t in Ticket.objects.order_by("pk")},
        "messages": {
            str(pk): [ticket, kind]
            for pk, ticket, kind in Message.objects.values_list("pk", "ticket_id", "kind")
        },
        "attachments": {
            a.stored_name: {
                "filename": a.filename,
                "sha256": a.sha256,
                "bytes_sha256": readable(attachment_path(a.stored_name)),
            }
            for a in Attachment.objects.all()
        },
        "mails": {
            m.message_id: {
                "status": m.status,
                "raw_sha256": m.raw_sha256,
                "bytes_sha256": hashlib.sha256(rawstore.load(m.raw_sha256)).hexdigest(),
            }
            for m in InboundMail.objects.all()
        },
    }


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
    import django

    django.setup()
    print(json.dumps(inventory()))
