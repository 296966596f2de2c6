"""Held mail, from the intake's side: who is told when mail is held, what its sender hears, and
what each decision of deskside.mail.quarantine does to the mail, the contact and the ticket."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group

from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.mail import held, quarantine
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.mail.results import Result
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import queue
from deskside.tickets import actions, duty, notify, policy
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
from tests.people import People
from tests.refusals import refused

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


# -- when mail is held ----------------------------------------------------------------------------


def test_a_colleagues_unverified_reply_tells_the_agents_and_answers_once_in_dutch(
    people: People, ticket: Ticket
) -> None:
    held_mail = reply_of_piet(ticket)

    assert held_mail.claimed_ticket == ticket
    assert "unverified reply" in held.why(held_mail) and held.waiting() == 1
    # Nobody is in the duty group, so every agent is told: a bell item leading to the mail.
    for agent in (people.agent, people.second_agent):
        (item,) = told(agent.pk)
        assert item.path == f"/desk/held/{held_mail.pk}/"
        assert item.title == f"[{ticket.ref}] Mail from piet@acme.example is held for review"
        assert "unverified reply" in item.text and item.read_at is None
    assert told(people.technician.pk) == [] and told(people.lead.pk) == []
    (to_staff,) = staff_mails()
    assert sorted(to_staff.to) == ["alice@ccs2.test", "bob@ccs2.test"]
    assert f"/desk/held/{held_mail.pk}/" in to_staff.text
    # The sender hears, in the mail's language, that it waits; nothing about the ticket.
    (answer,) = answers_to("piet@acme.example")
    assert answer.automatic and answer.in_reply_to == held_mail.message_id
    assert answer.subject == f"Uw mail wacht op nazicht: Re: [{ticket.ref}] Sev 2 - export fails"
    assert "Een medewerker van onze support bekijkt hem" in answer.text
    assert "It fails" not in answer.text and "Claire" not in answer.text
    assert ticket.messages.count() == 1


def test_the_answer_speaks_the_contacts_language(people: People, ticket: Ticket) -> None:
    # Olivier (a French-speaking contact of another organisation) writes in English.
    reply_of_piet(ticket, sender="olivier@globex.example", body="Hello, any news? Thanks")

    (answer,) = answers_to("olivier@globex.example")
    assert answer.subject.startswith("Votre mail attend une vérification : ")


def test_held_mail_about_an_assigned_ticket_tells_its_agent_only(
    people: People, ticket: Ticket
) -> None:
    actions.assign(ticket, people.second_agent, by=Actor.staff(people.lead))

    reply_of_piet(ticket)

    assert told(people.agent.pk) == []
    assert len(told(people.second_agent.pk)) == 1
    assert staff_mails()[0].to == ["bob@ccs2.test"]


def test_mail_claiming_no_ticket_tells_the_duty_group(people: People) -> None:
    Group.objects.get_or_create(name=duty.DUTY_GROUP)[0].user_set.add(people.lead)
    policy.clear()

    hold(mail("Sev 2 - export fails", sender=""))  # no sender: held, nobody to answer

    (item,) = told(people.lead.pk)
    assert item.title == "Mail from an unknown sender is held for review"
    assert told(people.agent.pk) == []
    assert OutboundMail.objects.exclude(purpose=NotificationKind.HELD_MAIL).count() == 0


def test_a_burst_of_held_mail_is_one_notice_that_counts(
    people: People, ticket: Ticket, _monday_morning: time_machine.Traveller
) -> None:
    first = reply_of_piet(ticket)
    reply_of_piet(ticket, sender="mallory@elsewhere.example")
    third = reply_of_piet(ticket, sender="eve@elsewhere.example")

    (item,) = told(people.agent.pk)
    assert item.title == "3 held mails wait for review (the newest from eve@elsewhere.example)"
    assert item.path == "/desk/held/"
    assert "mallory@elsewhere.example" in item.text and "piet@acme.example" in item.text
    assert len(staff_mails()) == 1  # one mail to the agents, not three
    assert {first.pk, third.pk} == set(
        InboundMail.objects.filter(status=InboundStatus.QUARANTINED)
        .exclude(from_address="mallory@elsewhere.example")
        .values_list("pk", flat=True)
    )

    # Read, the next held mail is told again; so is one after the hour, even unread.
    notify.mark_read(people.agent, kind=NotificationKind.HELD_MAIL)
    reply_of_piet(ticket, sender="trudy@elsewhere.example")
    assert len(told(people.agent.pk)) == 2 and len(told(people.second_agent.pk)) == 1
    _monday_morning.shift(timedelta(minutes=61))
    reply_of_piet(ticket, sender="victor@elsewhere.example")
    assert len(told(people.second_agent.pk)) == 2 and len(staff_mails()) == 3


def test_the_sender_is_answered_once_a_day_however_often_held(
    people: People, ticket: Ticket, _monday_morning: time_machine.Traveller
) -> None:
    reply_of_piet(ticket)
    reply_of_piet(ticket, body="Nog een vraag over de export. Alvast bedankt, met vriendelijke")
    assert len(answers_to("piet@acme.example")) == 1

    _monday_morning.shift(timedelta(days=1, minutes=1))
    reply_of_piet(ticket, body="En nog een. Bedankt en met vriendelijke groeten, Piet")
    assert len(answers_to("piet@acme.example")) == 2


def test_an_automatic_mail_is_held_but_never_answered(people: People, ticket: Ticket) -> None:
    reply_of_piet(
        ticket, headers={"Auto-Submitted": "auto-replied"}, body="Ik ben afwezig tot maandag."
    )

    assert answers_to("piet@acme.example") == []
    assert len(told(people.agent.pk)) == 1  # a person still looks at it


def test_a_sender_at_the_cap_of_automatic_answers_is_not_answered(
    people: People, ticket: Ticket
) -> None:
    for n in range(5):
        queue(to=["piet@acme.example"], subject=f"n{n}", text=".", purpose="ack", automatic=True)

    reply_of_piet(ticket)

    assert answers_to("piet@acme.example") == []


def test_an_unreadable_mail_tells_staff_and_answers_nobody(people: People) -> None:
    hold(b"\x00\x01\x02 this is not a mail at all\r\n\r\n\xff\xfe")

    assert len(told(people.agent.pk)) == 1
    assert OutboundMail.objects.exclude(purpose=NotificationKind.HELD_MAIL).count() == 0


def test_a_mail_held_for_an_internal_error_tells_and_answers_too(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(subject: str) -> object:
        raise RuntimeError("severity reader exploded")

    monkeypatch.setattr("deskside.mail.decide.read_severity", broken)

    held_mail = hold(mail("Sev 2 - export fails", sender="new@client.example", body="Hello"))

    assert "internal error" in held_mail.reason
    (item,) = told(people.agent.pk)
    assert "severity reader exploded" in item.text
    assert len(answers_to("new@client.example")) == 1
    assert not Contact.objects.filter(email="new@client.example").exists()  # rolled back


def test_if_telling_fails_an_internal_error_still_holds_the_mail(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("template missing")

    monkeypatch.setattr(held, "announce", broken)

    result = ingest(mail("Sev 2 - export fails", sender=""), door=Door.PIPE)

    assert result.outcome == Outcome.QUARANTINED
    assert "template missing" in (result.reason or "")
    assert InboundMail.objects.get().status == InboundStatus.QUARANTINED


def test_a_mail_held_again_after_a_retry_tells_nobody(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket)
    notify.mark_read(people.agent, kind=NotificationKind.HELD_MAIL)

    assert quarantine.retry(held_mail, by=people.agent).outcome == Outcome.QUARANTINED

    assert len(told(people.agent.pk)) == 1 and len(answers_to("piet@acme.example")) == 1


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

    with refused(ErrorCode.STILL_HELD):
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
        with refused(ErrorCode.MAIL_NAMES_NO_TICKET):
            act(held_mail, by=people.agent)


def test_two_decisions_on_one_mail_the_second_is_refused(people: People, ticket: Ticket) -> None:
    held_mail = reply_of_piet(ticket)
    quarantine.attach_as_note(held_mail, by=people.agent)

    with refused(ErrorCode.MAIL_DECIDED):
        quarantine.discard(held_mail, by=people.second_agent)


def test_a_mail_held_before_claims_were_recorded_still_finds_its_ticket(
    people: People, ticket: Ticket
) -> None:
    held_mail = reply_of_piet(ticket)
    InboundMail.objects.filter(pk=held_mail.pk).update(claimed_ticket=None)  # before mail 0004
    held_mail.refresh_from_db()

    assert held.claimed(held_mail, held.read(held_mail)) == ticket
    quarantine.attach_as_note(held_mail, by=people.agent)

    held_mail.refresh_from_db()
    assert held_mail.claimed_ticket == ticket
    assert ticket.messages.filter(direction=Direction.INTERNAL).count() == 1
