"""The one pipeline behind the three doors: store the raw mail, then process it.

Storing is its own committed transaction: once `store()` returns, the mail is safe and a door
may acknowledge it (SMTP 250, IMAP move, pipe exit 0). Processing is a second transaction that
also marks the stored row processed, so a crash in between leaves a STORED row that
`process_pending()` finishes later — never a lost mail, never a mail processed twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from deskside.mail import rawstore
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome

log = logging.getLogger("deskside.mail")

# Headers that relays and the mailbox add on the way in: a second delivery of one mail
# differs only in these, so they are left out of the content hash.
_TRACE_HEADERS = (
    b"received",
    b"return-path",
    b"delivered-to",
    b"x-original-to",
    b"x-delivered-to",
    b"envelope-to",
    b"x-envelope-from",
)


class TemporaryFailure(Exception):
    """The mail could not be stored (database or disk down): the sender should retry."""


@dataclass(frozen=True)
class Result:
    """One line of `deskside ingest` (DESIGN.md §4)."""

    message_id: str | None
    outcome: Outcome
    ticket: str | None = None
    severity: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "outcome": self.outcome.value,
            "ticket": self.ticket,
            "severity": self.severity,
            "reason": self.reason,
        }


def _header_block(raw: bytes) -> tuple[bytes, bytes]:
    match = re.search(rb"\r?\n\r?\n", raw)
    return (raw[: match.start()], raw[match.start() :]) if match else (raw, b"")


def content_hash(raw: bytes) -> str:
    head, body = _header_block(raw)
    kept, skipping = [], False
    for line in head.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in _TRACE_HEADERS
        if not skipping:
            kept.append(line)
    digest = hashlib.sha256()
    for line in kept:
        digest.update(line.rstrip(b"\r\n") + b"\n")
    digest.update(body.replace(b"\r\n", b"\n"))
    return digest.hexdigest()


def _summary(raw: bytes) -> tuple[str, str, str, datetime | None]:
    """Message-ID, subject, From and Date, read cheaply from the header block alone."""
    head, _ = _header_block(raw)
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
    except Exception:  # a header block that even compat32 cannot read: store it anyway
        return "", "", "", None
    message_id = _text(headers.get("Message-ID")).strip().strip("<>").strip()[:998]
    date = None
    with contextlib.suppress(TypeError, ValueError, IndexError):
        date = parsedate_to_datetime(str(headers.get("Date", "")))
    return (
        message_id,
        _text(headers.get("Subject"))[:998],
        _text(headers.get("From"))[:998],
        date if date and date.tzinfo else None,
    )


def _text(value: object) -> str:
    # PostgreSQL refuses NUL in text; a header carrying one must still be stored.
    return str(value or "").replace("\x00", "")


def store(
    raw: bytes, *, door: Door, received_at: datetime | None = None, envelope_sender: str = ""
) -> tuple[InboundMail, bool]:
    """Keep the raw mail durably; returns (row, created). An existing row means a duplicate."""
    message_id, subject, sender, _date = _summary(raw)
    key = content_hash(raw)
    try:
        sha = rawstore.save(raw)
        existing = InboundMail.objects.filter(message_id=message_id, content_hash=key).first()
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                return InboundMail.objects.create(
                    door=door,
                    message_id=message_id,
                    content_hash=key,
                    raw_sha256=sha,
                    size=len(raw),
                    envelope_sender=_text(envelope_sender)[:998],
                    subject=subject,
                    from_address=sender,
                    received_at=received_at or timezone.now(),
                ), True
        except IntegrityError:  # the same mail, stored a moment ago through another door
            return InboundMail.objects.get(message_id=message_id, content_hash=key), False
    except (DatabaseError, OSError) as error:
        raise TemporaryFailure(f"could not store the mail: {error}") from error


def process(inbound_id: int) -> Result:
    """Process one stored mail, once: a row already processed returns its recorded outcome."""
    from deskside.mail import decide

    with transaction.atomic():
        inbound = InboundMail.objects.select_for_update().get(pk=inbound_id)
        if inbound.status != InboundStatus.STORED:
            return recorded(inbound)
        inbound.attempts += 1
        result = _decide_safely(inbound, decide.handle)
        inbound.outcome = result.outcome
        inbound.reason = _text(result.reason)
        inbound.status = (
            InboundStatus.QUARANTINED
            if result.outcome == Outcome.QUARANTINED
            else InboundStatus.PROCESSED
        )
        inbound.processed_at = timezone.now()
        inbound.save()
    return result


def _decide_safely(inbound: InboundMail, handle: Callable[[InboundMail, bytes], Result]) -> Result:
    """A bug or a surprising mail never kills a worker: the mail goes to quarantine with the
    error as its reason. A database error is the system's problem and is raised, to retry."""
    try:
        with transaction.atomic():
            return handle(inbound, rawstore.load(inbound.raw_sha256))
    except (OperationalError, InterfaceError):
        raise  # the database is down or busy: retry the mail later, do not judge it
    except Exception as error:  # including a DataError or IntegrityError this mail provoked
        log.exception("mail %s could not be processed", inbound.pk)
        inbound.ticket, inbound.ticket_message = None, None  # rolled back with the savepoint
        return Result(
            message_id=inbound.message_id or None,
            outcome=Outcome.QUARANTINED,
            reason=f"internal error while processing: {type(error).__name__}: {error}",
        )


def recorded(inbound: InboundMail) -> Result:
    ticket = inbound.ticket
    return Result(
        message_id=inbound.message_id or None,
        outcome=Outcome(inbound.outcome or Outcome.QUARANTINED),
        ticket=ticket.ref if ticket else None,
        severity=ticket.severity if ticket else None,
        reason=inbound.reason or None,
    )


def ingest(
    raw: bytes, *, door: Door, received_at: datetime | None = None, envelope_sender: str = ""
) -> Result:
    """Store, then process. A second delivery of a processed mail is a `duplicate`."""
    inbound, created = store(
        raw, door=door, received_at=received_at, envelope_sender=envelope_sender
    )
    if not created and inbound.status != InboundStatus.STORED:
        ticket = inbound.ticket
        return Result(
            message_id=inbound.message_id or None,
            outcome=Outcome.DUPLICATE,
            ticket=ticket.ref if ticket else None,
            severity=ticket.severity if ticket else None,
            reason=f"already received on {timezone.localtime(inbound.stored_at):%Y-%m-%d %H:%M}",
        )
    try:
        return process(inbound.pk)
    except DatabaseError as error:
        # Stored but not processed: the sweep finishes it, and a retried delivery does too.
        raise TemporaryFailure(f"stored, but could not process the mail: {error}") from error


def process_pending(limit: int = 500) -> int:
    """Finish mails that were stored but not processed (a crash, a restart)."""
    pending = InboundMail.objects.filter(status=InboundStatus.STORED).order_by("id")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    for pk in ids:
        process(pk)
    return len(ids)
