"""What a lead does with quarantined mail: retry it, turn it into a ticket, or discard it, both
through deskside.mail.quarantine and through the actions of the admin's list of incoming mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.mail import held, quarantine, rawstore
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.actions import NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    MessageKind,
    Status,
    Ticket,
)
from tests.people import People
from tests.refusals import refused

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
STRANGER = "Mallory <mallory@elsewhere.example>"


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


@pytest.fixture
def claires_ticket(people: People) -> Ticket:
    return actions.open_ticket(
        contact=people.client,
        subject="Sev 2 - export fails",
        claimed_severity=2,
        received_at=MONDAY_10,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="It fails."),
    )


def mail(subject: str, *, sender: str = STRANGER, body: str = "Any news on this?") -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:59:00 +0100"
    msg["Message-ID"] = make_msgid(domain="elsewhere.example")
    msg.set_content(body)
    return msg.as_bytes()


def held_reply(ticket: Ticket, subject: str = "") -> InboundMail:
    """A reply to `ticket` from a stranger: threading finds the ticket, the sender is unknown."""
    result = ingest(mail(subject or f"Re: [{ticket.ref}] {ticket.subject}"), door=Door.PIPE)
    assert result.outcome == Outcome.QUARANTINED
    assert "unverified reply" in (result.reason or "")
    return InboundMail.objects.get(message_id=result.message_id)


def answers_to(address: str) -> list[OutboundMail]:
    """What `address` was answered about tickets; the answer that its mail waits for review is
    tested in test_held_mail.py."""
    answers = OutboundMail.objects.filter(primary_to=address.lower())
    return list(answers.exclude(purpose=held.ANSWER_PURPOSE))


# -- through deskside.mail.quarantine ---------------------------------------------------------


def test_retry_files_the_reply_once_its_sender_is_a_known_contact(
    people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket)
    Contact.objects.create(email="Mallory@Elsewhere.example", organisation=people.acme)

    result = quarantine.retry(held, by=people.lead)

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    held.refresh_from_db()
    assert held.status == InboundStatus.PROCESSED
    assert held.ticket_message is not None
    assert held.ticket_message.ticket_id == claires_ticket.pk
    assert "lena: retried" in held.reason
    assert claires_ticket.messages.filter(sender="mallory@elsewhere.example").count() == 1


def test_retry_of_a_still_unknown_sender_keeps_the_mail_in_quarantine(
    people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket)

    result = quarantine.retry(held, by=people.lead)

    assert result.outcome == Outcome.QUARANTINED
    held.refresh_from_db()
    assert held.status == InboundStatus.QUARANTINED
    assert claires_ticket.messages.count() == 1


def test_make_ticket_opens_a_new_ticket_at_the_level_in_the_subject(
    people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket, f"Re: [{claires_ticket.ref}] Sev 3 - our export too")

    result = quarantine.make_ticket(held, by=people.lead)

    assert result.outcome == Outcome.CREATED
    assert result.ticket != claires_ticket.ref and result.severity == 3
    ticket = Ticket.objects.get(pk=int(str(result.ticket).split("-")[1]))
    assert (ticket.status, ticket.severity, ticket.contact.email) == (
        Status.NEW,
        3,
        "mallory@elsewhere.example",
    )
    assert ticket.first_response_due is not None  # its clocks run like any new ticket's
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.actor == people.lead
    assert f"quarantined mail {held.pk}" in created.data["note"]
    assert "unverified reply" in created.data["note"]
    held.refresh_from_db()
    assert (held.status, held.outcome, held.ticket) == (
        InboundStatus.PROCESSED,
        Outcome.CREATED,
        ticket,
    )
    assert held.ticket_message is not None and held.ticket_message.ticket == ticket
    assert f"lena: turned into {ticket.ref}" in held.reason
    # The sender is answered like any new mail, and Claire's ticket is untouched.
    (ack,) = answers_to("mallory@elsewhere.example")
    assert ack.purpose == MessageKind.ACKNOWLEDGEMENT and ticket.ref in ack.subject
    assert claires_ticket.messages.count() == 1


def test_make_ticket_without_a_level_closes_it_and_explains_the_protocol(
    people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket, f"Re: [{claires_ticket.ref}] any news?")

    result = quarantine.make_ticket(held, by=people.lead)

    assert result.outcome == Outcome.REJECTED and result.severity is None
    ticket = Ticket.objects.exclude(pk=claires_ticket.pk).get()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, CloseReason.NO_SEVERITY)
    (explanation,) = answers_to("mallory@elsewhere.example")
    assert explanation.purpose == MessageKind.PROTOCOL


def test_make_ticket_refuses_a_mail_that_is_not_in_quarantine(
    people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket)
    quarantine.discard(held, by=people.lead)

    with refused(ErrorCode.MAIL_DECIDED):
        quarantine.make_ticket(held, by=people.lead)
    assert Ticket.objects.count() == 1


def test_make_ticket_refuses_an_unreadable_mail_and_keeps_it(people: People) -> None:
    raw = b"\x00\x01\x02 this is not a mail at all\r\n\r\n\xff\xfe"
    assert ingest(raw, door=Door.PIPE).outcome == Outcome.QUARANTINED
    held = InboundMail.objects.get()

    with refused(ErrorCode.MAIL_UNREADABLE):
        quarantine.make_ticket(held, by=people.lead)

    held.refresh_from_db()
    assert held.status == InboundStatus.QUARANTINED
    assert not Ticket.objects.exists()


def test_discard_keeps_the_raw_mail_and_opens_nothing(
    people: People, claires_ticket: Ticket
) -> None:
    raw = mail(f"Re: [{claires_ticket.ref}] {claires_ticket.subject}")
    assert ingest(raw, door=Door.PIPE).outcome == Outcome.QUARANTINED
    held = InboundMail.objects.get()

    quarantine.discard(held, by=people.lead, why="spam")

    held.refresh_from_db()
    assert (held.status, held.outcome) == (InboundStatus.DISCARDED, Outcome.IGNORED)
    assert "lena: discarded: spam" in held.reason
    assert rawstore.load(held.raw_sha256) == raw
    assert Ticket.objects.count() == 1
    with refused(ErrorCode.MAIL_DECIDED):
        quarantine.retry(held, by=people.lead)


# -- through the admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", "root@ccs2.test", "pw"))
    return client


def admin_action(client: Client, action: str, *mails: InboundMail) -> list[str]:
    """POST the action on the changelist, as the admin's form does; returns the messages."""
    response = client.post(
        reverse("admin:mail_inboundmail_changelist"),
        {"action": action, "_selected_action": [str(m.pk) for m in mails]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(m) for m in response.context["messages"]]


def test_admin_retry_files_the_mails_whose_senders_are_now_known(
    admin_client: Client, people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket)
    Contact.objects.create(email="mallory@elsewhere.example", organisation=people.acme)

    said = admin_action(admin_client, "retry", held)

    held.refresh_from_db()
    assert held.status == InboundStatus.PROCESSED
    assert held.ticket == claires_ticket
    assert "Retried 1 mail(s)." in said
    assert any(f"appended {claires_ticket.ref}" in line for line in said)


def test_admin_make_ticket_turns_each_selected_mail_into_a_ticket(
    admin_client: Client, people: People, claires_ticket: Ticket
) -> None:
    first = held_reply(claires_ticket, f"Re: [{claires_ticket.ref}] Sev 1 - down here too")
    second = held_reply(claires_ticket, f"Re: [{claires_ticket.ref}] Sev 4 - a question")

    said = admin_action(admin_client, "make_ticket", first, second)

    assert "Turned into tickets 2 mail(s)." in said
    new = Ticket.objects.exclude(pk=claires_ticket.pk)
    assert sorted(t.severity or 0 for t in new) == [1, 4]
    for ticket in new:
        created = ticket.events.get(kind=EventKind.CREATED)
        assert created.actor_label == "root"
        assert "quarantined mail" in created.data["note"]
    assert set(InboundMail.objects.values_list("status", flat=True)) == {InboundStatus.PROCESSED}


def test_admin_make_ticket_reports_a_mail_that_cannot_become_one(
    admin_client: Client, people: People
) -> None:
    ingest(b"\x00\x01\x02 not a mail\r\n\r\n\xff", door=Door.PIPE)
    held = InboundMail.objects.get()

    said = admin_action(admin_client, "make_ticket", held)

    assert any("cannot become a ticket" in line for line in said)
    assert "Turned into tickets 0 mail(s)." in said
    held.refresh_from_db()
    assert held.status == InboundStatus.QUARANTINED


def test_admin_discard_keeps_the_mails_out_of_the_quarantine_list(
    admin_client: Client, people: People, claires_ticket: Ticket
) -> None:
    held = held_reply(claires_ticket)

    said = admin_action(admin_client, "discard", held)

    assert "Discarded 1 mail(s)." in said
    held.refresh_from_db()
    assert held.status == InboundStatus.DISCARDED
    listed = admin_client.get(
        reverse("admin:mail_inboundmail_changelist"), {"status__exact": "quarantined"}
    )
    assert listed.context["cl"].result_count == 0
