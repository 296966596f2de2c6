"""Held mail, from the intake's side: what each decision of deskside.mail.quarantine does to
the mail, the contact and the ticket."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.accounts.models import Contact
from deskside.mail import held, quarantine
from deskside.mail.intake import Result, ingest
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import queue
from deskside.tickets import actions, policy
from deskside.tickets.actions import ActionError, Actor, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    MessageKind,
    Notification,
    NotificationKind,
    Status,
    Ticket,
)
from tests.people import People, make_people

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
PIET = "Piet Peeters <piet@acme.example>"  # Claire's colleague, not (yet) a contact
DUTCH = (
    "Hallo, wij hebben hetzelfde probleem met de export op onze afdeling. Kunnen jullie dit ook "
    "bekijken? Alvast bedankt, met vriendelijke groeten"
)


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fresh_duty() -> None:
    policy.clear()  # the duty list is cached per process


@pytest.fixture
def people() -> People:
    return make_people()


@pytest.fixture
def ticket(people: People) -> Ticket:
    return actions.open_ticket(
        contact=people.client,
        subject="Sev 2 - export fails",
        claimed_severity=2,
        received_at=MONDAY_10,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="It fails."),
    )


def mail(
    subject: str,
    *,
    sender: str = PIET,
    body: str = DUTCH,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:59:00 +0100"
    msg["Message-ID"] = make_msgid(domain="acme.example")
    msg.set_content(body)
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in (headers or {}).items():
        msg[name] = value
    return msg.as_bytes()


def hold(raw: bytes) -> InboundMail:
    result = ingest(raw, door=Door.PIPE)
    assert result.outcome == Outcome.QUARANTINED, result
    return InboundMail.objects.get(message_id=result.message_id or "")


def reply_of_piet(ticket: Ticket, **kwargs: object) -> InboundMail:
    return hold(mail(f"Re: [{ticket.ref}] {ticket.subject}", **kwargs))  # type: ignore[arg-type]


def told(user_id: int) -> list[Notification]:
    return list(
        Notification.objects.filter(user_id=user_id, kind=NotificationKind.HELD_MAIL).order_by("id")
    )


def staff_mails() -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(purpose=NotificationKind.HELD_MAIL).order_by("id"))


def answers_to(address: str) -> list[OutboundMail]:
    return list(
        OutboundMail.objects.filter(primary_to=address, purpose=held.ANSWER_PURPOSE).order_by("id")
    )


# -- deciding -------------------------------------------------------------------------------------


def test_adding_the_sender_files_the_reply_as_the_clients(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket)

    result = quarantine.add_sender_and_attach(held_mail, by=people.agent)

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, ticket.ref)
    piet = Contact.objects.get(email="piet@acme.example")
    assert (piet.organisation, piet.name, piet.language) == (people.acme, "Piet Peeters", "nl")
    reply = ticket.messages.get(sender="piet@acme.example")
    assert (reply.direction, reply.kind) == (Direction.INBOUND, MessageKind.MAIL)
    assert "hetzelfde probleem" in reply.text
    held_mail.refresh_from_db()
    assert (held_mail.status, held_mail.ticket_message) == (InboundStatus.PROCESSED, reply)
    assert "alice: added piet@acme.example to Acme Antwerp" in held_mail.reason
    event = ticket.events.get(kind=EventKind.HELD_MAIL)
    assert event.actor == people.agent
    assert event.data["mail"] == held_mail.pk
    assert "piet@acme.example added to Acme Antwerp" in event.data["note"]
    assert held.waiting() == 0


def test_adding_a_sender_to_a_closed_ticket_follows_the_protocol(
    people: People, ticket: Ticket
) -> None:
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    held_mail = reply_of_piet(ticket)

    quarantine.add_sender_and_attach(held_mail, by=people.agent)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # reopened: written within the reopening period
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()


def test_a_contact_of_another_organisation_is_not_moved(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket, sender="olivier@globex.example", body="Hello")

    with pytest.raises(ActionError, match="is a contact of Globex Lyon, not of Acme Antwerp"):
        quarantine.add_sender_and_attach(held_mail, by=people.agent)

    people.other_client.refresh_from_db()
    assert people.other_client.organisation == people.other_org
    held_mail.refresh_from_db()
    assert held_mail.status == InboundStatus.QUARANTINED


def test_a_contact_without_an_organisation_joins_the_tickets(
    people: People, ticket: Ticket
) -> None:
    lone = Contact.objects.create(email="piet@acme.example", language="en")
    held_mail = reply_of_piet(ticket)

    quarantine.add_sender_and_attach(held_mail, by=people.lead)

    lone.refresh_from_db()
    assert lone.organisation == people.acme and lone.language == "en"


def test_adding_the_sender_is_all_or_nothing(people: People) -> None:
    # Closed for want of a level; the colleague's reply has none either, and the colleague has
    # had the hour's five automatic answers: the intake would hold the mail again.
    rejected = actions.open_ticket(
        contact=people.client,
        subject="export fails",
        claimed_severity=None,
        received_at=MONDAY_10,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="It fails."),
        problem=CloseReason.NO_SEVERITY,
    )
    for n in range(5):
        queue(to=["piet@acme.example"], subject=f"n{n}", text=".", purpose="ack", automatic=True)
    held_mail = reply_of_piet(rejected)

    with pytest.raises(ActionError, match="would still be held"):
        quarantine.add_sender_and_attach(held_mail, by=people.agent)

    assert not Contact.objects.filter(email="piet@acme.example").exists()
    held_mail.refresh_from_db()
    assert held_mail.status == InboundStatus.QUARANTINED
    assert not rejected.events.filter(kind=EventKind.HELD_MAIL).exists()


def test_attaching_as_a_note_keeps_the_text_and_files_from_the_client(
    people: People, ticket: Ticket
) -> None:
    held_mail = reply_of_piet(
        ticket, body="@bob zie bijlage", attachments=[("export.log", "text/plain", b"E42")]
    )

    note = quarantine.attach_as_note(held_mail, by=people.agent)

    assert (note.ticket, note.direction, note.kind) == (
        ticket,
        Direction.INTERNAL,
        MessageKind.NOTE,
    )
    assert note.text.startswith("Held mail from Piet Peeters <piet@acme.example>, received ")
    assert "@bob zie bijlage" in note.text and note.author == people.agent
    (file,) = note.attachments.all()
    assert (file.filename, file.size) == ("export.log", 3)
    held_mail.refresh_from_db()
    assert (held_mail.status, held_mail.outcome) == (InboundStatus.PROCESSED, Outcome.APPENDED)
    assert held_mail.ticket_message == note
    assert f"alice: attached to {ticket.ref} as an internal note" in held_mail.reason
    assert ticket.events.filter(kind=EventKind.HELD_MAIL, actor=people.agent).count() == 1
    assert not Contact.objects.filter(email="piet@acme.example").exists()
    assert not Notification.objects.filter(kind=NotificationKind.MENTION).exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW  # a note moves no clock and answers nothing


def test_opening_as_a_new_ticket_is_in_the_claimed_tickets_history(
    people: People, ticket: Ticket
) -> None:
    held_mail = reply_of_piet(ticket)

    result: Result = quarantine.make_ticket(held_mail, by=people.agent)

    event = ticket.events.get(kind=EventKind.HELD_MAIL)
    assert f"opened as a new ticket, {result.ticket}" in event.data["note"]
    assert event.actor == people.agent


def test_discarding_is_in_the_claimed_tickets_history(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket, sender="mallory@elsewhere.example", body="Buy now")

    quarantine.discard(held_mail, by=people.agent, why="spam")

    event = ticket.events.get(kind=EventKind.HELD_MAIL)
    assert event.data["note"] == (
        f"held mail {held_mail.pk} from mallory@elsewhere.example discarded: spam"
    )
    assert held.waiting() == 0


def test_a_mail_naming_no_ticket_cannot_be_attached(people: People) -> None:
    held_mail = hold(mail("Sev 2 - export", sender=""))

    for act in (quarantine.add_sender_and_attach, quarantine.attach_as_note):
        with pytest.raises(ActionError, match="names no ticket"):
            act(held_mail, by=people.agent)


def test_two_decisions_on_one_mail_the_second_is_refused(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket)
    quarantine.attach_as_note(held_mail, by=people.agent)

    with pytest.raises(ActionError, match="someone has decided on it already"):
        quarantine.discard(held_mail, by=people.second_agent)
