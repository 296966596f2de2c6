"""Resolving and closing say the right thing to the right person: the resolution goes to the
client in their language with how to reopen; an out-of-scope close mails the client's text and
keeps the agent's note in the history; a resolved ticket reopens by an agent or by an answer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.actions import ActionError, Actor, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    MessageKind,
    Status,
    Ticket,
)
from tests.refusals import refused

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday")]

# The subject's word and the sentence that says how to reopen, per language.
RESOLVED_MAIL = {
    "en": ("Resolved", "your answer reopens the ticket"),
    "nl": ("Opgelost", "uw antwoord heropent het ticket"),
    "fr": ("Résolu", "votre réponse rouvre le ticket"),
    "de": ("Gelöst", "Ihre Antwort öffnet das Ticket wieder"),
}


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def mail_from(contact: Contact, subject: str = "[Sev 2] Export fails") -> Ticket:
    return actions.open_ticket(
        contact=contact,
        subject=subject,
        claimed_severity=2,
        received_at=MONDAY_10,
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="The export fails since this morning.",
            sender=contact.email,
            subject=subject,
        ),
    )


def answered(people, contact: Contact | None = None) -> Ticket:
    ticket = mail_from(contact or people.client)
    actions.reply(ticket, "We are looking into it.", by=actions.Actor.staff(people.agent))
    return ticket


@pytest.mark.parametrize("language", ["en", "nl", "fr", "de"])
def test_the_resolution_is_mailed_in_the_clients_language_with_how_to_reopen(people, language):
    people.client.language = language
    people.client.save()
    ticket = answered(people)

    message = actions.resolve(
        ticket,
        "The export job had a full disk; it runs again.",
        by=actions.Actor.staff(people.agent),
    ).posted

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    mail = OutboundMail.objects.get(purpose="resolved")
    word, how_to_reopen = RESOLVED_MAIL[language]
    assert mail.to == ["Claire@Acme.example"]
    assert mail.subject == f"{word}: [{ticket.ref}] {ticket.subject}"
    assert "The export job had a full disk; it runs again." in mail.text
    assert how_to_reopen in mail.text
    assert "Claire Peeters" in mail.text  # greeted by name
    # Filed on the ticket as the agent's message, threaded under the conversation.
    assert (message.direction, message.kind) == (Direction.OUTBOUND, MessageKind.RESOLUTION)
    assert mail.message_id == message.message_id
    assert mail.in_reply_to == ticket.messages.get(kind=MessageKind.REPLY).message_id
    event = ticket.events.get(kind=EventKind.RESOLVED)
    assert event.data == {"was": Status.OPEN, "message": message.pk}
    assert event.actor == people.agent


def test_a_ticket_without_a_public_reply_cannot_be_resolved(people):
    ticket = mail_from(people.client)
    actions.add_note(ticket, "Looks like the disk again.", by=actions.Actor.staff(people.agent))

    with pytest.raises(ActionError) as refused:
        actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))

    assert str(refused.value) == (
        f"{ticket.ref} has had no public reply: answer the client (a reply or proposed steps) "
        "before marking it resolved."
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert not OutboundMail.objects.filter(purpose="resolved").exists()
    assert not ticket.events.filter(kind=EventKind.RESOLVED).exists()


def test_proposed_steps_count_as_a_public_reply(people):
    ticket = mail_from(people.client)
    actions.propose_steps(
        ticket, "Restart the export service.", by=actions.Actor.staff(people.agent)
    )

    actions.resolve(ticket, "The restart fixed it.", by=actions.Actor.staff(people.agent))

    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_resolving_needs_a_resolution(people):
    ticket = answered(people)
    with refused(ErrorCode.EMPTY_RESOLUTION):
        actions.resolve(ticket, "  \n", by=actions.Actor.staff(people.agent))
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_an_agent_reopens_a_resolved_ticket(people):
    ticket = answered(people)
    actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))

    actions.reopen(ticket, by=Actor.staff(people.second_agent), reason="It failed again tonight")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.in_queue) == (Status.OPEN, True)
    event = ticket.events.get(kind=EventKind.REOPENED)
    assert event.data["was"] == Status.RESOLVED
    assert event.data["reason"] == "It failed again tonight"


def test_the_clients_mail_answer_reopens_a_resolved_ticket(people):
    ticket = answered(people)
    actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))
    resolution = OutboundMail.objects.get(purpose="resolved")

    result = ingest(
        (
            "From: Claire Peeters <Claire@Acme.example>\r\nTo: support@deskside.localhost\r\n"
            f"Subject: Re: {resolution.subject}\r\nMessage-ID: <again@acme.example>\r\n"
            f"In-Reply-To: <{resolution.message_id}>\r\n\r\nIt fails again.\r\n"
        ).encode(),
        door=Door.PIPE,
    )

    assert (result.outcome, result.ticket) == ("appended", ticket.ref)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.in_queue) == (Status.OPEN, True)
    assert ticket.events.filter(kind=EventKind.RESUMED, data__was=Status.RESOLVED).exists()


def test_out_of_scope_mails_the_text_for_the_client_and_keeps_the_note_internal(people):
    ticket = mail_from(people.other_client, "Sev 4 please order lunch")

    actions.close(
        ticket,
        CloseReason.OUT_OF_SCOPE,
        by=Actor.staff(people.agent),
        note="Third lunch order this month; told the account manager.",
        client_text="Nous assurons le support de l'application, pas la restauration.",
    )

    mail = OutboundMail.objects.get(purpose="closed_out_of_scope")
    assert mail.to == ["olivier@globex.example"]
    assert "pas la restauration" in mail.text
    assert "account manager" not in mail.text
    closure = ticket.messages.get(kind=MessageKind.CLOSURE)
    assert "pas la restauration" in closure.text and "account manager" not in closure.text
    closed = ticket.events.get(kind=EventKind.CLOSED)
    assert closed.data["note"] == "Third lunch order this month; told the account manager."


def test_a_text_for_the_client_is_refused_where_no_mail_goes(people):
    ticket = answered(people)
    with pytest.raises(ActionError, match="Closing as solved sends the client no mail"):
        actions.close(
            ticket, CloseReason.SOLVED, by=Actor.staff(people.agent), client_text="Thanks!"
        )
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_a_resolved_ticket_can_still_be_closed(people):
    ticket = answered(people)
    actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_the_resolution_counts_as_a_public_reply_for_the_clocks(people):
    ticket = mail_from(people.client)
    actions.reply(
        ticket, "We are looking into it.", by=actions.Actor.staff(people.agent)
    )  # Monday 10:00
    resolved_at = datetime(2026, 11, 23, 15, 0, tzinfo=BRUSSELS)
    with time_machine.travel(resolved_at, tick=False):
        actions.resolve(ticket, "Fixed in release 4.2.", by=actions.Actor.staff(people.agent))
    with time_machine.travel(datetime(2026, 11, 24, 9, 30, tzinfo=BRUSSELS), tick=False):
        actions.reopen(ticket, by=Actor.staff(people.agent), reason="the client wrote")

    ticket.refresh_from_db()
    # Level 2 updates every 8 business hours: from the resolution (Mon 15:00), Tue 15:00;
    # from the reply before it (Mon 10:00), the update would have been due Tue 10:00.
    assert ticket.next_update_due == datetime(2026, 11, 24, 15, 0, tzinfo=BRUSSELS)
