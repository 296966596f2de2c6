"""The one pipeline behind the three doors: store the raw mail, then process it.

Storing is its own committed transaction: once `store()` returns, the mail is safe and a door
may acknowledge it (SMTP 250, IMAP move, pipe exit 0). Processing is a second transaction that
also marks the stored row processed, so a crash in between leaves a STORED row that
`process_pending()` finishes later — never a lost mail, never a mail processed twice. A door
that has several mails at hand (the IMAP poller, `deskside ingest` with several files) stores a
batch of them in one transaction and processes it in a second (`store_many`, `process_many`):
two commits per batch instead of two per mail, with the same guarantees per batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from deskside import db
from deskside.core.limits import HEADER_LINE
from deskside.mail import decide, held, rawstore
from deskside.mail.limits import header_end
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.mail.results import Result

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


_HASH_CHUNK = 1024 * 1024


def content_hash(raw: bytes) -> str:
    end = header_end(raw)
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


# What _summary reads of a header block: the fields it looks for come near the top, and reading
# a header block of 300,000 fields took most of a second before the door could say yes.
SUMMARY_BYTES = 256 * 1024


def _summary(raw: bytes) -> tuple[str, str, str, datetime | None]:
    """Message-ID, subject, From and Date, read cheaply from the header block alone (from its
    first SUMMARY_BYTES, whole lines)."""
    head = raw[: header_end(raw)]
    if len(head) > SUMMARY_BYTES:
        head = head[: head.rfind(b"\n", 0, SUMMARY_BYTES) + 1]
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head + b"\n\n")
    except Exception:  # a header block that even compat32 cannot read: store it anyway
        return "", "", "", None
    message_id = _text(headers.get("Message-ID")).strip().strip("<>").strip()[:HEADER_LINE]
    date = None
    with contextlib.suppress(TypeError, ValueError, IndexError):
        date = parsedate_to_datetime(str(headers.get("Date", "")))
    return (
        message_id,
        _text(headers.get("Subject"))[:HEADER_LINE],
        _text(headers.get("From"))[:HEADER_LINE],
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
        envelope_sender=_text(envelope_sender)[:HEADER_LINE],
        subject=subject,
        from_address=sender,
        received_at=received_at or timezone.now(),
    )
    try:
        # No savepoint of its own: in a batch (store_many) a failure fails the batch anyway.
        with transaction.atomic(savepoint=False):
            row.raw_sha256 = rawstore.save(raw)
            if db.insert(row, unless_conflict=True):
                return row, True
            # A second delivery (the unique message_id and content_hash): no error was raised,
            # so a caller's transaction (a batch, see ingest_many) goes on without a savepoint.
            return InboundMail.objects.get(message_id=message_id, content_hash=key), False
    except (DatabaseError, OSError) as error:
        raise TemporaryFailure(f"could not store the mail: {error}") from error


class _AlreadyDone(Exception):
    """Another worker processed the mail between our reading it and our marking it."""


def process(inbound_id: int, *, vouched: bool = False) -> Result:
    """Process one stored mail, once: a row already processed returns its recorded outcome.
    `vouched`: a person has vouched for its sender (a held mail filed by an agent's decision)."""
    inbound = InboundMail.objects.stored(inbound_id)
    if inbound is None:
        raise InboundMail.DoesNotExist(f"no incoming mail {inbound_id}")
    if inbound.status != InboundStatus.STORED:
        return recorded(inbound)
    # No lock needed while reading: the work only counts if the row is still STORED when it is
    # marked, in the same transaction (see process_stored).
    return process_stored(inbound, rawstore.load(inbound.raw_sha256), vouched=vouched)


def process_stored(inbound: InboundMail, raw: bytes, *, vouched: bool = False) -> Result:
    """Process a mail that `store()` has just kept, with its bytes in hand (no reading back).

    Exactly once: the row is marked processed in the transaction of the work, and only if it is
    still STORED then; if another worker (the sweep) was first, this work is rolled back and the
    other's outcome returned. A bug or a surprising mail never kills a worker: the mail goes to
    quarantine with the error as its reason. A database outage is raised, to retry the mail.

    A mail held the first time is announced in the same transaction (deskside/mail/held.py:
    staff told, sender answered); one held again after a retry is not."""
    first = inbound.attempts == 0
    try:
        with transaction.atomic():
            result = decide.handle(inbound, raw, vouched=vouched)
            _mark(inbound, result)
            if first and result.outcome == Outcome.QUARANTINED:
                held.announce(inbound, raw, unreadable=result.unreadable)
            _log_on_commit(inbound, result)
        return result
    except (OperationalError, InterfaceError):
        raise  # the database is down or busy: retry the mail later, do not judge it
    except _AlreadyDone:
        return _recorded_by_id(inbound.pk)
    except Exception as error:  # including a DataError or IntegrityError this mail provoked
        log.exception("mail %s could not be processed", inbound.pk)
        return _quarantine_for(inbound, error, raw if first else None)


def _quarantine_for(inbound: InboundMail, error: Exception, announce: bytes | None) -> Result:
    """The work was rolled back; keep the mail in quarantine with the error as its reason, and
    with `announce` (its bytes, when held the first time) tell staff and answer the sender."""
    inbound.ticket, inbound.ticket_message = None, None
    quarantined = Result(
        message_id=inbound.message_id or None,
        outcome=Outcome.QUARANTINED,
        reason=f"internal error while processing: {type(error).__name__}: {error}",
    )
    try:
        with transaction.atomic():
            _mark(inbound, quarantined)
            if announce is not None:
                _announce_held(inbound, announce)
            _log_on_commit(inbound, quarantined)
    except _AlreadyDone:
        return _recorded_by_id(inbound.pk)
    return quarantined


def _announce_held(inbound: InboundMail, raw: bytes) -> None:
    """Announce a mail held for an internal error, in a savepoint of its own: if telling fails
    too, the mail must still reach quarantine (where the desk counts and lists it)."""
    from deskside.mail import held

    try:
        with transaction.atomic():
            held.announce(inbound, raw)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # logged; the mail is kept, listed and counted all the same
        log.exception("mail %s is held, but nobody could be told", inbound.pk)


def _log_on_commit(inbound: InboundMail, result: Result) -> None:
    """The one line a processed mail writes, once its outcome is committed (a batch that is
    rolled back writes none)."""
    why = (result.reason or "").splitlines()[0][:200] if result.reason else ""
    message_id = f", <{inbound.message_id[:200]}>" if inbound.message_id else ""
    line = (
        f"mail {inbound.pk} ({inbound.door}{message_id}): "
        f"{result.outcome.value}{' ' + result.ticket if result.ticket else ''}"
        f"{': ' + why if why else ''}"
    )
    transaction.on_commit(lambda: log.info("%s", line))


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
    if not InboundMail.objects.mark_processed(inbound):
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
# What a batch holds in memory at most; a larger mail is a batch of its own.
BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Arrival:
    """A mail as a door got it: its bytes and, when the door knows it, when it arrived."""

    raw: bytes
    received_at: datetime | None = None


@dataclass(frozen=True)
class Stored:
    inbound: InboundMail
    created: bool
    raw: bytes


def batches[T](
    items: Iterable[T],
    size_of: Callable[[T], int],
    *,
    most: int = BATCH_SIZE,
    within: float | None = None,
) -> Iterator[list[T]]:
    """`items` in lists of up to `most`, holding about BATCH_BYTES (by `size_of`) at most, and
    with `within`, closed once that many seconds have passed since its first item came: a door
    that gets its mail slowly (IMAP, one FETCH each) does not sit on what it already has."""
    batch: list[T] = []
    held, opened = 0, 0.0
    for item in items:
        size = size_of(item)
        late = within is not None and time.monotonic() - opened >= within
        if batch and (len(batch) >= most or held + size > BATCH_BYTES or late):
            yield batch
            batch, held = [], 0
        if not batch:
            opened = time.monotonic()
        batch.append(item)
        held += size
    if batch:
        yield batch


def store_many(
    arrivals: Iterable[Arrival], *, door: Door, envelope_sender: str = ""
) -> list[Stored]:
    """`store()` for several mails in one transaction: one commit keeps them all, and after it a
    door may acknowledge them all. If one cannot be stored, none is (TemporaryFailure)."""
    try:
        with transaction.atomic():
            return [
                Stored(
                    *store(
                        arrival.raw,
                        door=door,
                        received_at=arrival.received_at,
                        envelope_sender=envelope_sender,
                    ),
                    arrival.raw,
                )
                for arrival in arrivals
            ]
    except DatabaseError as error:  # the commit itself
        raise TemporaryFailure(f"could not store the mails: {error}") from error


def process_many(stored: Iterable[Stored]) -> list[Result]:
    """Process stored mails in one transaction, each in a savepoint of its own: a bad mail is
    quarantined without undoing the others. If the database fails on one of them, the whole
    batch is rolled back and TemporaryFailure raised: every mail of it stays STORED, for the
    sweep, a redelivery, or the caller to process one at a time."""
    done: set[int] = set()
    try:
        with transaction.atomic():
            return [_process_in_batch(item, done) for item in stored]
    except DatabaseError as error:
        raise TemporaryFailure(f"stored, but could not process the mails: {error}") from error


def _process_in_batch(item: Stored, done: set[int]) -> Result:
    """The same mail twice in one batch: the second is a duplicate, as it would be later."""
    if item.inbound.pk in done:
        return _duplicate(InboundMail.objects.select_related("ticket").get(pk=item.inbound.pk))
    done.add(item.inbound.pk)
    return _process_after_store(item.inbound, item.created, item.raw)


def ingest_many(
    raws: Iterable[bytes],
    *,
    door: Door,
    received_at: datetime | None = None,
    envelope_sender: str = "",
    batch_size: int = BATCH_SIZE,
) -> Iterator[Result]:
    """`ingest()` for several mails, faster: up to `batch_size` mails are stored in one
    transaction (see store_many), then processed in another (see process_many). Results come in
    order, a batch at a time. A database outage raises TemporaryFailure: the mails of the batch
    are not stored, or stay STORED for the sweep or a redelivery to finish."""
    arrivals = (Arrival(raw, received_at) for raw in raws)
    for batch in batches(arrivals, lambda arrival: len(arrival.raw), most=batch_size):
        yield from process_many(store_many(batch, door=door, envelope_sender=envelope_sender))


def process_pending(limit: int = 500) -> int:
    """Finish mails that were stored but not processed (a crash, a restart)."""
    pending = InboundMail.objects.filter(status=InboundStatus.STORED).order_by("id")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    for pk in ids:
        process(pk)
    return len(ids)
