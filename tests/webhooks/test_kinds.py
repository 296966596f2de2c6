"""Each kind of event, caused as the desk causes it, reaches a subscribed receiver with its
payload: the ticket as of the event, who caused it, what the event recorded, the message."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deskside.mail.intake import ingest
from deskside.mail.models import Door, Outcome
from deskside.onsite import actions as onsite
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import CloseReason, Direction, MessageKind, Ticket
from deskside.webhooks.models import Delivery, Kind
from deskside.webhooks.send import deliver_due
from tests.people import People
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.fixture(autouse=True)
def _monday(time_machine) -> None:
    policy.clear()
    time_machine.move_to(MONDAY_10, tick=False)


def opened(people: People, level: int = 2) -> Ticket:
    return actions.open_ticket(
        contact=people.client,
        subject=f"[Sev {level}] Export fails",
        claimed_severity=level,
        received_at=MONDAY_10,
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="The export fails since this morning.",
            sender=people.client.email,
        ),
    )


def received(receiver: Receiver) -> list[dict[str, Any]]:
    deliver_due()
    assert all(r.verified for r in receiver.received)
    return [r.payload for r in receiver.received]


def test_a_tickets_life_is_told_kind_by_kind(people: People, receiver: Receiver) -> None:
    subscribe(people, receiver)
    ticket = opened(people)
    client = Actor.client(people.client)
    actions.receive_from_client(
        ticket,
        NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.WEB,
            text="Also the import.",
            sender=people.client.email,
        ),
        by=client,
    )
    actions.add_note(ticket, "Internal: check the logs", by=Actor.staff(people.agent))
    actions.reply(ticket, "We are looking into it.", by=Actor.staff(people.agent))
    actions.reassess(ticket, 1, reason="Production is down", by=Actor.staff(people.agent))
    actions.close(ticket, CloseReason.DUPLICATE, by=Actor.staff(people.agent), note="Dup")
    actions.reopen(ticket, by=Actor.staff(people.lead), reason="Not a duplicate")

    payloads = received(receiver)

    assert [p["type"] for p in payloads] == [
        "ticket.created",
        "ticket.client_message",
        "ticket.staff_reply",  # the internal note is not told
        "ticket.reassessed",
        "ticket.closed",
        "ticket.reopened",
    ]
    created, client_message, staff_reply, reassessed, closed, reopened = (
        p["data"] for p in payloads
    )
    assert created["ticket"]["ref"] == ticket.ref and created["ticket"]["severity"] == 2
    assert created["ticket"]["organisation"] == {"id": people.acme.pk, "name": "Acme Antwerp"}
    assert created["ticket"]["url"].endswith(f"/desk/ticket/{ticket.ref}/")
    assert created["message"]["text"] == "The export fails since this morning."
    assert client_message["message"]["text"] == "Also the import."
    assert client_message["message"]["kind"] == "web"
    assert staff_reply["message"]["text"] == "We are looking into it."
    assert staff_reply["actor"] == "Alice"
    assert reassessed["event"] == {
        "kind": "reassessed",
        "was": 2,
        "level": 1,
        "reason": "Production is down",
    }
    assert reassessed["ticket"]["severity"] == 1
    assert closed["ticket"]["status"] == "closed"
    assert closed["event"]["reason"] == "duplicate"
    assert reopened["ticket"]["status"] == "open" and reopened["ticket"]["close_reason"] is None
    assert datetime.fromisoformat(payloads[0]["timestamp"]) == MONDAY_10


def test_clock_warnings_and_breaches_are_told(people: People, receiver: Receiver) -> None:
    subscribe(people, receiver, Kind.CLOCK_WARNING, Kind.CLOCK_BREACHED)
    ticket = opened(people, level=1)

    actions.record_clock_alerts(ticket, MONDAY_10 + timedelta(days=3))

    payloads = received(receiver)
    kinds = {p["type"] for p in payloads}
    assert kinds == {"ticket.clock_warning", "ticket.clock_breached"}
    breach = next(p["data"] for p in payloads if p["type"] == "ticket.clock_breached")
    assert breach["ticket"]["ref"] == ticket.ref
    assert breach["event"]["clock"] and breach["event"]["due"]
    assert breach["actor"] == "Deskside"


def test_a_scheduled_visit_is_told(people: People, receiver: Receiver) -> None:
    subscribe(people, receiver, Kind.VISIT_SCHEDULED)
    ticket = opened(people)
    visit = onsite.request_visit(ticket, "The printer on site jams.", by=people.agent)
    start = MONDAY_10 + timedelta(days=1)
    onsite.schedule(
        visit,
        technician=people.technician,
        start=start,
        duration=timedelta(hours=2),
        by=people.agent,
    )

    (payload,) = received(receiver)

    assert payload["type"] == "visit.scheduled"
    assert payload["data"]["ticket"]["ref"] == ticket.ref
    assert payload["data"]["visit"]["technician"] == "tom"
    assert payload["data"]["visit"]["duration_minutes"] == 120
    assert payload["data"]["visit"]["postal_code"] == "2000"
    assert payload["data"]["visit"]["rescheduled"] is False


def test_mail_held_for_review_is_told_without_its_text(people: People, receiver: Receiver) -> None:
    subscribe(people, receiver, Kind.MAIL_HELD)
    ticket = opened(people)
    raw = (
        "From: Piet <piet@acme.example>\r\nTo: support@deskside.test\r\n"
        f"Subject: Re: [{ticket.ref}] Export fails\r\nMessage-ID: <held-1@acme.example>\r\n"
        "Date: Mon, 23 Nov 2026 09:59:00 +0100\r\n\r\nSecret details of our setup.\r\n"
    ).encode()
    assert ingest(raw, door=Door.PIPE).outcome == Outcome.QUARANTINED

    (payload,) = received(receiver)

    assert payload["type"] == "mail.held"
    mail = payload["data"]["mail"]
    assert mail["from"] == "piet@acme.example" and "unverified" in mail["why"]
    assert mail["url"].endswith(f"/desk/held/{mail['id']}/")
    assert payload["data"]["ticket"]["ref"] == ticket.ref
    assert "Secret details" not in receiver.received[0].body.decode()


def test_nobody_subscribed_costs_no_delivery(people: People) -> None:
    opened(people)
    assert not Delivery.objects.exists()
