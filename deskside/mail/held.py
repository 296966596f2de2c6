"""Mail held for review (InboundStatus.QUARANTINED), as the desk and the decisions read it: how
many wait, why one is held, the mail as the intake reads it, and what its sender was told.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from deskside.mail import decide, rawstore
from deskside.mail.models import InboundMail, InboundStatus
from deskside.mail.parse import ParsedMail, parse
from deskside.outbox.models import OutboundMail

ANSWER_PURPOSE = "held_for_review"


def waiting() -> int:
    """How many mails wait for review: one count on the (status, id) index."""
    return InboundMail.objects.filter(status=InboundStatus.QUARANTINED).count()


def read(inbound: InboundMail) -> ParsedMail:
    """The held mail as the intake reads it (sanitised HTML, text, files); MailRejected when it
    cannot be read."""
    return decide._without_nul(parse(rawstore.load(inbound.raw_sha256)))


def why(inbound: InboundMail) -> str:
    """Why the mail is held: the first line of its story (later lines say who did what)."""
    return inbound.reason.strip().splitlines()[0] if inbound.reason.strip() else ""


def page(inbound: InboundMail) -> str:
    return reverse("desk:held_mail", args=[inbound.pk])


def answer_to(inbound: InboundMail) -> OutboundMail | None:
    """The answer its sender got about this mail, if any (for the desk): the one in reply to
    its Message-ID, or for a mail without one, the one queued while it was held."""
    answers = OutboundMail.objects.filter(
        primary_to=inbound.from_address.lower(), purpose=ANSWER_PURPOSE
    )
    if inbound.message_id:
        return answers.filter(in_reply_to=inbound.message_id).first()
    held_at = inbound.processed_at or inbound.stored_at
    return answers.filter(
        in_reply_to="", created_at__range=(inbound.stored_at, held_at + timedelta(minutes=5))
    ).first()
