"""The prepared statements of `deskside/db.py` (the intake's hot path) write and read exactly
what the ORM writes and reads, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy

from deskside import db
from deskside.accounts.addresses import contact_by_address
from deskside.accounts.models import Contact, Organisation
from deskside.mail.models import Door, InboundMail
from deskside.mail.threads import find_ticket
from deskside.outbox.models import OutboundMail
from deskside.tickets.models import Event, EventKind, Ticket

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def stored(model: type[models.Model], pk: Any) -> dict[str, Any]:
    """Every column of the row as the ORM reads it back, but the key."""
    row = model._default_manager.values().get(pk=pk)
    row.pop("id")
    return row


def outbound(message_id: str, **extra: Any) -> OutboundMail:
    fields: dict[str, Any] = {
        "to": ["Claire@Acme.example", "jan@acme.example"],
        "primary_to": "claire@acme.example",
        "subject": "[CCS-1] Sévérité 2 — reçu",
        "text": "Bonjour,\nnous avons reçu votre mail.\n",
        "message_id": message_id,
        "purpose": "acknowledgement",
        "automatic": True,
        "next_attempt_at": NOW,
        **extra,
    }
    return OutboundMail(**fields)


def test_a_prepared_insert_writes_the_row_save_writes() -> None:
    saved, inserted = outbound("a@deskside.test"), outbound("b@deskside.test")
    saved.save(force_insert=True)

    assert db.insert(inserted) is True

    assert inserted.pk is not None and inserted.pk != saved.pk
    assert not inserted._state.adding and inserted._state.db == "default"
    a, b = stored(OutboundMail, saved.pk), stored(OutboundMail, inserted.pk)
    assert a.pop("message_id") != b.pop("message_id")
    assert a == b
    assert b["created_at"] == NOW  # auto_now_add, filled in as save() fills it
    assert b["to"] == ["Claire@Acme.example", "jan@acme.example"] and b["headers"] == {}


def test_a_prepared_insert_prepares_text_that_is_no_str_as_save_does() -> None:
    mail = outbound("c@deskside.test", subject=gettext_lazy("Hello"), purpose=42, text="")

    db.insert(mail)

    assert OutboundMail.objects.values_list("subject", "purpose", "text").get() == (
        "Hello",
        "42",
        "",
    )


def test_a_prepared_insert_writes_json_foreign_keys_and_empty_values_as_save_does() -> None:
    contact = Contact.objects.create(email="claire@acme.example")
    ticket = Ticket(subject="Sev 2", contact=contact, received_at=NOW, severity=2)
    db.insert(ticket)
    data = {"level": 2, "why": "new ticket", "to": ["a@b.example"], "note": None}
    saved = Event(
        ticket=ticket, kind=EventKind.CREATED, actor_label="Deskside", data=data, created_at=NOW
    )
    saved.save(force_insert=True)
    inserted = Event(
        ticket=ticket, kind=EventKind.CREATED, actor_label="Deskside", data=data, created_at=NOW
    )

    db.insert(inserted)

    assert stored(Event, inserted.pk) == stored(Event, saved.pk)
    assert Ticket.objects.get(pk=ticket.pk).contact == contact


def test_an_insert_unless_conflict_writes_nothing_and_leaves_the_transaction_usable() -> None:
    Contact.objects.create(email="claire@acme.example", name="Claire")
    twin = Contact(email="CLAIRE@acme.example", name="Another Claire")

    with transaction.atomic():
        assert db.insert(twin, unless_conflict=True) is False
        # On PostgreSQL an error would have aborted the transaction: this would fail.
        assert Contact.objects.count() == 1

    assert twin.pk is None and twin._state.adding
    assert list(Contact.objects.values_list("name", flat=True)) == ["Claire"]
    assert db.insert(Contact(email="jan@acme.example"), unless_conflict=True) is True


def test_a_lookup_reads_the_instance_the_orm_reads() -> None:
    organisation = Organisation.objects.create(name="Acme", country="BE", postal_code="1000")
    Contact.objects.create(
        email="Claire@Acme.example",
        name="Claire Peeters",
        language="fr",
        organisation=organisation,
        mail_failing_since=NOW - timedelta(days=1),
    )
    expected = Contact.objects.get()

    found = contact_by_address("claire@ACME.example")

    assert found is not None and not found._state.adding and found._state.db == "default"
    for field in Contact._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.mail_failing_since == NOW - timedelta(days=1)  # aware, also on SQLite
    assert found.organisation == organisation
    assert contact_by_address("nobody@acme.example") is None


def test_prepared_rows_read_what_values_list_reads_in_order() -> None:
    contact = Contact.objects.create(email="claire@acme.example")
    ticket = Ticket.objects.create(subject="Sev 2", contact=contact, received_at=NOW, severity=2)
    other = Ticket.objects.create(subject="Sev 3", contact=contact, received_at=NOW, severity=3)
    for at, kind, data, on in [
        (NOW + timedelta(minutes=2), EventKind.REASSESSED, {"level": 1, "was": 2}, ticket),
        (NOW, EventKind.CREATED, {"severity": 2, "note": None}, ticket),
        (NOW + timedelta(minutes=1), EventKind.CREATED, {"severity": 3}, other),
    ]:
        Event.objects.create(ticket=on, kind=kind, actor_label="x", data=data, created_at=at)
    read = Event.objects.history_rows(ticket.pk)

    expected = list(
        Event.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("kind", "created_at", "data")
    )
    assert read == expected
    assert read[0][1] == NOW and read[0][1].tzinfo is not None  # aware, also on SQLite
    assert read[1][2] == {"level": 1, "was": 2}  # JSON decoded
    assert Event.objects.history_rows(-1) == []


def test_a_reference_in_the_subject_finds_its_ticket_with_every_field() -> None:
    contact = Contact.objects.create(email="claire@acme.example")
    ticket = Ticket(subject="Sev 2 - export", contact=contact, received_at=NOW, severity=2)
    db.insert(ticket)
    expected = Ticket.objects.get()

    class Mail:  # what find_ticket reads of a parsed mail
        subject = f"Re: [{expected.ref}] Sev 2 - export"
        in_reply_to: tuple[str, ...] = ()
        references: tuple[str, ...] = ()

    found = find_ticket(Mail())  # type: ignore[arg-type]

    assert found is not None
    for field in Ticket._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    Mail.subject = "Re: [CCS-999999] Sev 2 - export"
    assert find_ticket(Mail()) is None  # type: ignore[arg-type]


def test_a_statement_counts_and_updates_like_the_orm() -> None:
    db.insert(outbound("1@deskside.test"))
    db.insert(outbound("2@deskside.test", automatic=False))
    with time_machine.travel(NOW - timedelta(hours=2), tick=False):
        db.insert(outbound("3@deskside.test"))

    answers = OutboundMail.objects
    assert answers.automatic_to("Claire@ACME.example", NOW - timedelta(hours=1)) == 1
    assert answers.automatic_to("claire@acme.example", NOW - timedelta(hours=3)) == 2
    assert answers.automatic_to("jan@acme.example", NOW - timedelta(hours=3)) == 0

    touch = db.Statement(
        InboundMail,
        "UPDATE {table} SET {attempts} = {attempts} + 1, {reason} = %(reason)s "
        "WHERE {door} = %(door)s AND {reason} <> %(reason)s",
    )
    InboundMail.objects.create(
        door=Door.PIPE, content_hash="h", raw_sha256="h", size=1, received_at=NOW
    )
    assert touch.run(reason="retried", door=Door.IMAP) == 0
    assert touch.run(reason="retried", door=Door.PIPE) == 1
    assert touch.run(reason="retried", door=Door.PIPE) == 0  # one name, used twice
    assert InboundMail.objects.values_list("attempts", "reason").get() == (1, "retried")


def test_a_count_stops_at_its_limit() -> None:
    contact = Contact.objects.create(email="claire@acme.example")
    for n in range(5):
        Ticket.objects.create(subject=f"T{n}", contact=contact, received_at=NOW, severity=3)

    recent = Ticket.objects.recent_of_contact(contact.pk, NOW - timedelta(hours=1), most=3)

    assert [subject for _pk, subject in recent] == ["T0", "T1", "T2"]
    assert Ticket.objects.recent_of_contact(contact.pk, NOW + timedelta(seconds=1), most=3) == []


def test_statements_are_written_for_the_database_in_use() -> None:
    count = db.Statement(
        OutboundMail, "SELECT COUNT(*) FROM {table} WHERE {ticket_ref} = %(ticket_ref)s"
    )
    sql, _fields = count._prepared("default")
    quote = connection.ops.quote_name
    assert sql == (
        f"SELECT COUNT(*) FROM {quote('outbox_outboundmail')} WHERE {quote('ticket_ref')} = %s"
    )
