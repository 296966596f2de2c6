"""The portal says what a reply to a closed ticket will do before the client sends it, and then
does exactly that (docs/protocol.md, "A reply to a closed ticket")."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.tickets import actions
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    MessageKind,
    Notification,
    NotificationKind,
    Status,
    Ticket,
)
from tests.portal.conftest import open_ticket, signed_in

BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BXL)


@pytest.fixture(autouse=True)
def _monday() -> object:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


@pytest.fixture(autouse=True)
def _english(people) -> None:
    people.client.language = "en"
    people.client.save()


def solved(people, *, level: int = 3) -> Ticket:
    ticket = open_ticket(people.client, level=level)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    Notification.objects.all().delete()
    return ticket


def without_level(people) -> Ticket:
    return actions.open_ticket(
        contact=people.client,
        subject="Export fails",
        claimed_severity=None,
        received_at=MONDAY_10,
        problem=CloseReason.NO_SEVERITY,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="help"),
    )


def page(people, ticket: Ticket) -> str:
    return signed_in(people.client).get(f"/portal/ticket/{ticket.ref}/").content.decode()


def test_a_closed_ticket_says_a_reply_reopens_it_until_when(people):
    ticket = solved(people)

    shown = page(people, ticket)

    # Closed Monday 10:00; ten business days later is Monday 16 March 10:00.
    assert "A reply sent before 16 March 2026, 10:00 reopens it" in shown
    assert "Send and reopen" in shown
    assert 'name="level"' not in shown


def test_a_reply_within_the_period_reopens_and_tells_the_assignee(people):
    ticket = solved(people)

    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        answer = signed_in(people.client).post(
            f"/portal/ticket/{ticket.ref}/", {"text": "It broke again."}
        )

    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity) == (Status.OPEN, 3)
    [told] = Notification.objects.filter(kind=NotificationKind.CLIENT_MESSAGE)
    assert told.user == people.agent and told.ticket == ticket
    assert "It broke again." in told.text


def test_after_the_period_the_portal_asks_a_level_and_opens_a_linked_ticket(people):
    ticket = solved(people)
    later = MONDAY_10 + timedelta(days=15)  # Tuesday 17 March: 11 business days on

    with time_machine.travel(later, tick=False):
        client = signed_in(people.client)
        shown = client.get(f"/portal/ticket/{ticket.ref}/").content.decode()
        refused = client.post(f"/portal/ticket/{ticket.ref}/", {"text": "Again?"})
        answer = client.post(f"/portal/ticket/{ticket.ref}/", {"text": "Again?", "level": "2"})

    assert "Your message opens a new ticket that follows this one" in shown
    assert 'name="level"' in shown and "Open the new ticket" in shown
    assert refused.status_code == 200
    assert "every ticket needs one" in refused.content.decode()
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert answer["Location"] == f"/portal/ticket/{new.ref}/"
    assert (new.status, new.severity, new.subject) == (Status.NEW, 2, ticket.subject)
    assert new.messages.get().text == "Again?"
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    follow_page = client.get(answer["Location"]).content.decode()
    assert f"Your message opened ticket {new.ref}, which follows {ticket.ref}." in follow_page
    assert f'href="/portal/ticket/{ticket.ref}/"' in follow_page


def test_a_ticket_closed_for_want_of_a_level_asks_for_one_and_reopens_at_it(people):
    ticket = without_level(people)
    client = signed_in(people.client)

    shown = page(people, ticket)
    answer = client.post(f"/portal/ticket/{ticket.ref}/", {"text": "Sorry!", "level": "1"})

    assert "its subject gave no valid severity level" in shown
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.claimed_severity) == (Status.OPEN, 1, 1)
    assert ticket.first_response_due is not None


def test_the_client_reads_what_will_happen_in_their_language(people):
    people.client.language = "nl"
    people.client.save()
    ticket = solved(people)

    shown = page(people, ticket)

    assert "Een antwoord dat u vóór 16 maart 2026, 10:00 verstuurt, heropent het" in shown
    assert "Versturen en heropenen" in shown
