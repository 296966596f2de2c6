"""Several mails at once (the IMAP poller, `deskside ingest` with several files): a batch is
stored in one transaction and processed in a second, with the guarantees of one mail at a time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.db import OperationalError

from deskside.mail import decide, intake, rawstore
from deskside.mail.intake import Arrival, TemporaryFailure, batches, ingest_many
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.mail.results import Result
from deskside.tickets.models import Ticket
from tests.mail.test_intake import MONDAY_10, mail, outbox
from tests.people import make_people

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    make_people()
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def test_a_batch_gives_each_mail_its_outcome_in_order() -> None:
    raws = [mail("Sev 2 - export fails"), mail("Export fails"), mail("Sev 4 - how do I export?")]

    results = list(ingest_many(raws, door=Door.PIPE, batch_size=2))

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.REJECTED, Outcome.CREATED]
    assert [r.severity for r in results] == [2, None, 4]
    assert Ticket.objects.count() == 3 and len(outbox()) == 3
    assert set(InboundMail.objects.values_list("status", flat=True)) == {InboundStatus.PROCESSED}


def test_a_bad_mail_in_a_batch_is_quarantined_and_the_others_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_handle = decide.handle

    def failing_on_the_second(inbound: InboundMail, raw: bytes, **how: bool) -> Result:
        result = real_handle(inbound, raw, **how)  # its ticket is written, then undone
        if b"second" in raw:
            raise ValueError("a bug this mail provokes")
        return result

    monkeypatch.setattr(decide, "handle", failing_on_the_second)
    raws = [mail("Sev 2 - first"), mail("Sev 2 - second"), mail("Sev 2 - third")]

    results = list(ingest_many(raws, door=Door.PIPE))

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.QUARANTINED, Outcome.CREATED]
    assert "a bug this mail provokes" in (results[1].reason or "")
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Sev 2 - first",
        "Sev 2 - third",
    ]
    quarantined = InboundMail.objects.get(status=InboundStatus.QUARANTINED)
    assert rawstore.load(quarantined.raw_sha256) == raws[1]
    assert quarantined.ticket is None and len(outbox()) == 2


def test_the_same_mail_twice_in_a_batch_is_a_duplicate_the_second_time() -> None:
    raw = mail("Sev 3 - export fails")

    results = list(ingest_many([raw, raw], door=Door.PIPE))

    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.DUPLICATE]
    assert results[0].ticket == results[1].ticket
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1


def test_a_mail_that_cannot_be_stored_keeps_the_whole_batch_from_being_acknowledged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_save = rawstore.save

    def disk_full_on_the_second(raw: bytes) -> str:
        if b"second" in raw:
            raise OSError(28, "No space left on device")
        return real_save(raw)

    monkeypatch.setattr(rawstore, "save", disk_full_on_the_second)
    arrivals = [Arrival(mail("Sev 2 - first")), Arrival(mail("Sev 2 - second"))]

    with pytest.raises(TemporaryFailure, match="No space left"):
        intake.store_many(arrivals, door=Door.IMAP)

    assert InboundMail.objects.count() == 0  # nothing to acknowledge: the door retries both


def test_a_database_failure_while_processing_leaves_the_whole_batch_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_handle = decide.handle

    def locked_on_the_second(inbound: InboundMail, raw: bytes, **how: bool) -> Result:
        if b"second" in raw:
            raise OperationalError("database is locked")
        return real_handle(inbound, raw, **how)

    stored = intake.store_many(
        [Arrival(mail("Sev 2 - first"), MONDAY_10), Arrival(mail("Sev 2 - second"))],
        door=Door.IMAP,
    )
    with monkeypatch.context() as patch:
        patch.setattr(decide, "handle", locked_on_the_second)
        with pytest.raises(TemporaryFailure, match="database is locked"):
            intake.process_many(stored)

    assert Ticket.objects.count() == 0  # the first one's work was rolled back with the batch
    assert set(InboundMail.objects.values_list("status", flat=True)) == {InboundStatus.STORED}
    assert intake.process_pending() == 2
    assert Ticket.objects.count() == 2 and len(outbox()) == 2


def test_a_batch_holds_a_bounded_number_of_mails_and_of_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(intake, "BATCH_BYTES", 100)
    sizes = [10, 20, 30, 500, 40, 50, 60, 1, 1]

    grouped = list(batches(sizes, lambda size: size, most=3))

    assert grouped == [[10, 20, 30], [500], [40, 50], [60, 1, 1]]
    assert list(batches([], len, most=3)) == []


def test_a_batch_is_closed_when_its_time_is_up() -> None:
    assert list(batches([1, 2, 3], lambda size: size, within=0)) == [[1], [2], [3]]
    assert list(batches([1, 2, 3], lambda size: size, within=60)) == [[1, 2, 3]]
