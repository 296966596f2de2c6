"""Delivery to a real receiver on loopback that checks signatures with the Standard Webhooks
reference library: signed, retried with back-off under the same webhook-id, nothing lost in an
outage, and a bad endpoint (down, refused, unknown, slow, redirecting) recorded, never raised."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from deskside.tickets.models import Ticket
from deskside.webhooks import endpoints, send
from deskside.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint, Kind
from deskside.webhooks.send import deliver_due
from tests.api.conftest import open_ticket
from tests.people import People
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db


def deliver_everything(traveller, rounds: int = 30) -> None:
    """Run the worker's sweep, moving the clock to the next retry, until nothing is queued."""
    for _ in range(rounds):
        deliver_due()
        waiting = Delivery.objects.filter(status=DeliveryStatus.QUEUED).order_by("next_attempt_at")
        if not waiting.exists():
            return
        traveller.move_to(waiting[0].next_attempt_at + timedelta(seconds=1))
    raise AssertionError("deliveries still queued after every retry")


def test_an_event_reaches_the_receiver_signed_as_the_reference_library_checks(
    people: People, receiver: Receiver
) -> None:
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    ticket = open_ticket(people.client)

    assert deliver_due() == 1

    (got,) = receiver.received
    assert got.verified and got.answered == 200
    assert got.payload["type"] == "ticket.created"
    assert got.payload["data"]["ticket"]["ref"] == ticket.ref
    assert got.headers["webhook-id"].startswith("msg_")
    assert got.headers["webhook-signature"].startswith("v1,")
    assert got.headers["content-type"] == "application/json"
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.message_id == got.webhook_id
    (attempt,) = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200 and attempt.response == '{"ok": true}'
    assert attempt.error == "" and attempt.duration_ms < 5000


def test_a_wrong_secret_fails_the_receivers_check(people: People, receiver: Receiver) -> None:
    subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.secret = "whsec_" + "A" * 43 + "="  # not the endpoint's
    open_ticket(people.client)

    assert deliver_due() == 0

    (got,) = receiver.received
    assert not got.verified
    assert Delivery.objects.get().last_status_code == 401


def test_an_outage_loses_no_event_and_repeats_each_under_its_own_id(
    people: People, receiver: Receiver, time_machine
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.status = 503
    tickets = [open_ticket(people.client, f"Export {n} fails") for n in range(3)]

    deliver_due()
    # The endpoint is down: one call, the other two wait for its retry instead of piling on.
    assert [r.answered for r in receiver.received] == [503]
    first_id = receiver.received[0].webhook_id
    receiver.stop()  # and now it is down altogether: connections refused
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    assert deliver_due() == 0
    assert "Connection refused" in Attempt.objects.order_by("-id")[0].error

    receiver.start()  # back, on the same port
    receiver.status = 200
    deliver_everything(time_machine)

    accepted = receiver.accepted()
    assert sorted(r.payload["data"]["ticket"]["ref"] for r in accepted) == sorted(
        t.ref for t in tickets
    )
    assert len({r.webhook_id for r in accepted}) == 3  # each event once, none twice
    assert first_id in {r.webhook_id for r in accepted}  # the retry kept its id
    assert all(r.verified for r in receiver.received)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 3


def test_a_receiver_too_slow_to_answer_gets_the_event_again_under_the_same_id(
    people: People, receiver: Receiver, monkeypatch, time_machine
) -> None:
    """At least once: the receiver took it but Deskside never heard; the retry carries the same
    webhook-id, by which the receiver knows it has it."""
    time_machine.move_to(timezone.now(), tick=False)
    monkeypatch.setattr(send, "TIMEOUT", 0.2)
    subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.delay = 0.5
    open_ticket(people.client)

    assert deliver_due() == 0
    assert "timed out" in Attempt.objects.get().error.lower()
    receiver.wait_for(1)
    receiver.delay = 0
    deliver_everything(time_machine)

    first, second = receiver.received
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_a_redirect_is_recorded_and_not_followed(people: People, receiver: Receiver) -> None:
    elsewhere = Receiver().start()
    try:
        subscribe(people, receiver, Kind.TICKET_CREATED)
        receiver.status, receiver.location = 302, elsewhere.url
        open_ticket(people.client)

        assert deliver_due() == 0

        assert elsewhere.received == []
        attempt = Attempt.objects.get()
        assert attempt.status_code == 302
        assert f"redirect to {elsewhere.url} not followed" in attempt.error
        assert Delivery.objects.get().status == DeliveryStatus.QUEUED
    finally:
        elsewhere.stop()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://127.0.0.1:{port}/hooks", "Connection refused"),
        ("http://deskside-webhook-test.invalid/hooks", "URLError"),
    ],
)
def test_an_endpoint_that_cannot_be_reached_is_logged_and_retried(
    people: People, url: str, error: str
) -> None:
    endpoint = Endpoint.objects.create(
        owner=people.lead, url=url.format(port=_closed_port()), secret="whsec_" + "A" * 44
    )
    endpoint.subscriptions.create(kind=Kind.TICKET_CREATED)
    open_ticket(people.client)

    assert deliver_due() == 0  # no exception reaches the worker

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.QUEUED and delivery.attempts == 1
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=29)
    assert error in delivery.last_error and Attempt.objects.get().status_code is None


def test_back_off_doubles_from_30_seconds_to_6_hours_over_about_3_days() -> None:
    waits = [send.backoff(n) for n in range(1, send.MAX_ATTEMPTS + 1)]
    assert waits[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(waits) == timedelta(hours=6)
    assert timedelta(days=3) <= sum(waits, timedelta()) <= timedelta(days=4)


def test_only_subscribed_and_enabled_endpoints_get_the_event(
    people: People, receiver: Receiver
) -> None:
    closed_only = subscribe(people, receiver, Kind.TICKET_CLOSED)
    switched_off = subscribe(people, receiver, Kind.TICKET_CREATED)
    switched_off.enabled = False
    switched_off.save()

    ticket: Ticket = open_ticket(people.client)

    assert not Delivery.objects.exists()
    assert closed_only.deliveries.count() == 0 and ticket.pk


def test_an_event_an_endpoint_keeps_refusing_does_not_hold_up_the_others(
    people: People, receiver: Receiver, time_machine
) -> None:
    """A 400 is about that message: the endpoint's other events go, and the refused one is
    given up after its attempts and the pause period, with the endpoint never paused."""
    time_machine.move_to(timezone.now(), tick=False)
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.status = 400
    open_ticket(people.client, "Refused")
    refused = Delivery.objects.get()
    deliver_due()
    for n in range(send.MAX_ATTEMPTS + 2):
        receiver.status = 200
        taken = open_ticket(people.client, f"Taken {n}")
        deliver_due()
        assert taken.ref in [r.payload["data"]["ticket"]["ref"] for r in receiver.accepted()]
        receiver.status = 400  # the refused one, tried at its own times, is refused again
        refused.refresh_from_db()
        time_machine.move_to(refused.next_attempt_at + timedelta(seconds=1))
        deliver_due()

    refused.refresh_from_db()
    assert refused.status == DeliveryStatus.FAILED and refused.last_status_code == 400
    assert refused.attempts == send.MAX_ATTEMPTS
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None


def test_finished_deliveries_are_pruned_after_30_days_waiting_ones_kept(
    people: People, receiver: Receiver, time_machine
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    subscribe(people, receiver, Kind.TICKET_CREATED)
    open_ticket(people.client, "Delivered")
    deliver_due()
    receiver.stop()
    open_ticket(people.client, "Waiting")
    deliver_due()

    time_machine.move_to(timezone.now() + timedelta(days=31))
    assert send.prune() == 2  # the delivery and its one attempt

    (kept,) = Delivery.objects.all()
    assert "Waiting" in kept.body and kept.status == DeliveryStatus.QUEUED


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hooks",
        "http://[::1]:{port}/hooks",
        "http://localhost:{port}/hooks",
    ],
)
def test_a_private_address_is_refused_unless_allowed(
    people: People, receiver: Receiver, settings, url: str
) -> None:
    settings.DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES = False
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    Endpoint.objects.filter(pk=endpoint.pk).update(url=url.format(port=receiver.port))
    open_ticket(people.client)

    assert deliver_due() == 0

    assert receiver.received == []
    assert "not a public address" in Attempt.objects.get().error


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in ("postgres", "postgresql"),
    reason="row locks are PostgreSQL's (runs in CI's PostgreSQL run): SQLite takes its one "
    "write lock at BEGIN IMMEDIATE, and its in-memory test database cannot serve two threads",
)
@pytest.mark.django_db(transaction=True)
def test_an_endpoint_deleted_meanwhile_never_fails_the_change_that_caused_the_event(
    people: People, receiver: Receiver
) -> None:
    """A client's new ticket queues a delivery to an endpoint that a lead deletes at that
    moment: the delete waits for the ticket's transaction and takes the delivery with it.
    Without the lock the ticket's commit failed on PostgreSQL's deferred foreign key."""
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    deleted: list[int] = []

    def lead_deletes() -> None:
        try:
            deleted.append(endpoints.delete([endpoint]))
        finally:
            connection.close()

    with transaction.atomic():
        ticket: Ticket = open_ticket(people.client)
        assert Delivery.objects.filter(endpoint=endpoint).count() == 1
        other = threading.Thread(target=lead_deletes)
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive(), "the endpoint went while the ticket's change held it"
    other.join(timeout=30)

    assert deleted == [1]
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert not Delivery.objects.exists()
