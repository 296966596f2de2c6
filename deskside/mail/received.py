"""What the intake reads off a received mail before it decides anything: the text without NUL
characters, the envelope sender, the language, and whether our mail server found the sender
forged. Shared by deskside/mail/decide.py and the held mail (held.py, quarantine.py)."""

from __future__ import annotations

from dataclasses import replace

from deskside.accounts.models import Language
from deskside.core.limits import ADDRESS
from deskside.mail import authresults
from deskside.mail.language import detect
from deskside.mail.models import InboundMail
from deskside.mail.parse import ParsedMail

LANGUAGES = set(Language.values)
MAX_ADDRESS_LENGTH = ADDRESS


def forged(inbound: InboundMail) -> str | None:
    """What failed when our mail server checked the sender ("DMARC"), or None."""
    return authresults.failed(inbound.authentication)


def without_nul(mail: ParsedMail) -> ParsedMail:
    """PostgreSQL refuses NUL characters in text, and they mean nothing in a mail: drop them,
    so that a stray one neither quarantines the mail nor fails on one database only."""

    def clean(value: str) -> str:
        return value.replace("\x00", "")

    return replace(
        mail,
        subject=clean(mail.subject),
        from_address=clean(mail.from_address),
        from_name=clean(mail.from_name),
        text=clean(mail.text),
        visible_text=clean(mail.visible_text),
        html=clean(mail.html) if mail.html else mail.html,
        message_id=clean(mail.message_id) if mail.message_id else mail.message_id,
        in_reply_to=tuple(map(clean, mail.in_reply_to)),
        references=tuple(map(clean, mail.references)),
        attachments=tuple(
            replace(
                a,
                filename=clean(a.filename),
                content_type=clean(a.content_type),
                content_id=clean(a.content_id) if a.content_id else a.content_id,
            )
            for a in mail.attachments
        ),
    )


def stored_envelope_sender(given: str | None) -> str:
    """How a door stores the envelope sender it was given (the SMTP `MAIL FROM`, the MTA's
    ${sender}): "" when the door did not know it (None), "<>" for the null sender of bounces."""
    if given is None:
        return ""
    return given.strip().strip("<>") or "<>"


def envelope_sender(inbound: InboundMail) -> str | None:
    """The SMTP envelope sender: None when the door did not know it, "" for `MAIL FROM:<>`
    (stored as "<>"), which marks a bounce or an automatic mail (RFC 3834)."""
    stored = inbound.envelope_sender
    if not stored:
        return None
    return "" if stored == "<>" else stored


def language_of(mail: ParsedMail) -> str:
    """The mail's Content-Language, else the language of its text, else English."""
    tag = (mail.content_language or "").split("-")[0].lower()
    if tag in LANGUAGES:
        return tag
    return detect(mail.visible_text or mail.text) or Language.EN
