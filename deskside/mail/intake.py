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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
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


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_HASH_CHUNK = 1024 * 1024


def _header_end(raw: bytes) -> int:
    """Where the blank line after the header block starts (the length of the mail if none)."""
    match = _BLANK_LINE.search(raw)
    return match.start() if match else len(raw)


def content_hash(raw: bytes) -> str:
    end = _header_end(raw)
    digest = hashlib.sha256()
    skipping = False
    for line in raw[:end].splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                digest.update(line.rstrip(b"\r\n") + b"\n")
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in _TRACE_HEADERS
        if not skipping:
            digest.update(line.rstrip(b"\r\n") + b"\n")
    # The body with CRLF read as LF, a chunk at a time: a big mail is not copied whole.
    view, carry = memoryview(raw), b""
    for start in range(end, len(raw), _HASH_CHUNK):
        chunk = carry + view[start : start + _HASH_CHUNK].tobytes()
        carry = b"\r" if chunk.endswith(b"\r") else b""
        digest.update((chunk[:-1] if carry else chunk).replace(b"\r\n", b"\n"))
    digest.update(carry)
    return digest.hexdigest()


def _summary(raw: bytes) -> tuple[str, str, str, datetime | None]:
    """Message-ID, subject, From and Date, read cheaply from the header block alone."""
    head = raw[: _header_end(raw)]
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
    """Keep the raw mail durably; returns (row, created). An existing row means a duplicate.

    The bytes and the row are written in one transaction: once it commits, a door may say yes."""
    message_id, subject, sender, _date = _summary(raw)
    key = content_hash(raw)
    row = InboundMail(
        door=door,
        message_id=message_id,
        content_hash=key,
        size=len(raw),
        envelope_sender=_text(envelope_sender)[:998],
        subject=subject,
        from_address=sender,
        received_at=received_at or timezone.now(),
    )
    try:
        try:
            with transaction.atomic():
                row.raw_sha256 = rawstore.save(raw)
                row.save(force_insert=True)
            return row, True
        except IntegrityError:  # a second delivery: the unique (message_id, content_hash)
            return InboundMail.objects.get(message_id=message_id, content_hash=key), False
    except (DatabaseError, OSError) as error:
        raise TemporaryFailure(f"could not store the mail: {error}") from error


class _AlreadyDone(Exception):
    """Another worker processed the mail between our reading it and our marking it."""


def process(inbound_id: int) -> Result:
    """Process one stored mail, once: a row already processed returns its recorded outcome."""
    inbound = InboundMail.objects.get(pk=inbound_id)
    if inbound.status != InboundStatus.STORED:
        return recorded(inbound)
    # No lock needed while reading: the work only counts if the row is still STORED when it is
    # marked, in the same transaction (see process_stored).
    return process_stored(inbound, rawstore.load(inbound.raw_sha256))


def process_stored(inbound: InboundMail, raw: bytes) -> Result:
    """Process a mail that `store()` has just kept, with its bytes in hand (no reading back).

    Exactly once: the row is marked processed in the transaction of the work, and only if it is
    still STORED then; if another worker (the sweep) was first, this work is rolled back and the
    other's outcome returned. A bug or a surprising mail never kills a worker: the mail goes to
    quarantine with the error as its reason. A database outage is raised, to retry the mail."""
    from deskside.mail import decide

    try:
        with transaction.atomic():
            result = decide.handle(inbound, raw)
            _mark(inbound, result)
        return result
    except (OperationalError, InterfaceError):
        raise  # the database is down or busy: retry the mail later, do not judge it
    except _AlreadyDone:
        return _recorded_by_id(inbound.pk)
    except Exception as error:  # including a DataError or IntegrityError this mail provoked
        log.exception("mail %s could not be processed", inbound.pk)
        return _quarantine_for(inbound, error)


def _quarantine_for(inbound: InboundMail, error: Exception) -> Result:
    """The work was rolled back; keep the mail in quarantine with the error as its reason."""
    inbound.ticket, inbound.ticket_message = None, None
    quarantined = Result(
        message_id=inbound.message_id or None,
        outcome=Outcome.QUARANTINED,
        reason=f"internal error while processing: {type(error).__name__}: {error}",
    )
    try:
        with transaction.atomic():
            _mark(inbound, quarantined)
    except _AlreadyDone:
        return _recorded_by_id(inbound.pk)
    return quarantined


def _mark(inbound: InboundMail, result: Result) -> None:
    """Record the outcome on the row, only if it is still STORED (else raise _AlreadyDone)."""
    inbound.attempts += 1
    inbound.outcome = result.outcome
    # A retried mail keeps its story (why it was held, who retried it) above the new reason.
    inbound.reason = "\n".join(filter(None, [inbound.reason, _text(result.reason)]))
    inbound.status = (
        InboundStatus.QUARANTINED
        if result.outcome == Outcome.QUARANTINED
        else InboundStatus.PROCESSED
    )
    inbound.processed_at = timezone.now()
    marked = InboundMail.objects.filter(pk=inbound.pk, status=InboundStatus.STORED).update(
        attempts=F("attempts") + 1,
        outcome=inbound.outcome,
        reason=inbound.reason,
        status=inbound.status,
        processed_at=inbound.processed_at,
        subject=inbound.subject,
        from_address=inbound.from_address,
        ticket=inbound.ticket,
        ticket_message=inbound.ticket_message,
    )
    if not marked:
        raise _AlreadyDone


def _recorded_by_id(inbound_id: int) -> Result:
    return recorded(InboundMail.objects.select_related("ticket").get(pk=inbound_id))


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
    return _process_after_store(inbound, created, raw)


def _process_after_store(inbound: InboundMail, created: bool, raw: bytes) -> Result:
    if not created and inbound.status != InboundStatus.STORED:
        return _duplicate(inbound)
    try:
        return process_stored(inbound, raw) if created else process(inbound.pk)
    except DatabaseError as error:
        # Stored but not processed: the sweep finishes it, and a retried delivery does too.
        raise TemporaryFailure(f"stored, but could not process the mail: {error}") from error


def _duplicate(inbound: InboundMail) -> Result:
    ticket = inbound.ticket
    return Result(
        message_id=inbound.message_id or None,
        outcome=Outcome.DUPLICATE,
        ticket=ticket.ref if ticket else None,
        severity=ticket.severity if ticket else None,
        reason=f"already received on {timezone.localtime(inbound.stored_at):%Y-%m-%d %H:%M}",
    )


BATCH_SIZE = 50


def ingest_many(
    raws: Iterable[bytes],
    *,
    door: Door,
    received_at: datetime | None = None,
    envelope_sender: str = "",
    batch_size: int = BATCH_SIZE,
) -> Iterator[Result]:
    """`ingest()` for several mails, faster: each mail is stored in a transaction of its own (so
    a door may acknowledge it as soon as it is stored), then up to `batch_size` stored mails are
    processed in one transaction, each in a savepoint of its own. Results come in order, a batch
    at a time. A database outage raises TemporaryFailure: the mails of the batch stay STORED, and
    the sweep or a redelivery finishes them."""
    batch: list[tuple[InboundMail, bool, bytes]] = []
    for raw in raws:
        inbound, created = store(
            raw, door=door, received_at=received_at, envelope_sender=envelope_sender
        )
        batch.append((inbound, created, raw))
        if len(batch) >= batch_size:
            yield from _process_batch(batch)
            batch = []
    yield from _process_batch(batch)


def _process_batch(batch: list[tuple[InboundMail, bool, bytes]]) -> list[Result]:
    if not batch:
        return []
    try:
        with transaction.atomic():
            return [_process_in_batch(item, done) for done in [set[int]()] for item in batch]
    except DatabaseError as error:
        raise TemporaryFailure(f"stored, but could not process the mails: {error}") from error


def _process_in_batch(item: tuple[InboundMail, bool, bytes], done: set[int]) -> Result:
    """The same mail twice in one batch: the second is a duplicate, as it would be later."""
    inbound, created, raw = item
    if inbound.pk in done:
        return _duplicate(InboundMail.objects.select_related("ticket").get(pk=inbound.pk))
    done.add(inbound.pk)
    return _process_after_store(inbound, created, raw)


def process_pending(limit: int = 500) -> int:
    """Finish mails that were stored but not processed (a crash, a restart)."""
    pending = InboundMail.objects.filter(status=InboundStatus.STORED).order_by("id")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    for pk in ids:
        process(pk)
    return len(ids)
