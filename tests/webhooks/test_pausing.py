"""An endpoint that fails for the pause period is paused and its owner mailed; its events wait
and go once it is resumed. "Send again" sends a delivery anew under the same webhook-id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.utils import timezone

from deskside.outbox.models import OutboundMail
from deskside.webhooks import endpoints
from deskside.webhooks.models import Delivery, DeliveryStatus, Endpoint, Kind
from deskside.webhooks.send import deliver_due
from tests.api.conftest import open_ticket
from tests.people import People
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import deliver_everything

pytestmark = pytest.mark.django_db


def fail_for(traveller, period: timedelta) -> None:
    """Run the sweep at every retry until `period` has passed."""
    end = timezone.now() + period
    while timezone.now() < end:
        deliver_due()
        waiting = Delivery.objects.filter(status=DeliveryStatus.QUEUED).order_by("next_attempt_at")
        assert waiting.exists(), "a delivery was given up before its endpoint was paused"
        traveller.move_to(min(waiting[0].next_attempt_at, end) + timedelta(seconds=1))
    deliver_due()


def paused_mails(people: People) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(purpose="webhook_paused", primary_to=people.lead.email))


def test_three_days_of_failure_pause_the_endpoint_and_tell_its_owner_once(
    people: People, receiver: Receiver, time_machine
) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.status = 500
    first = open_ticket(people.client)

    fail_for(time_machine, timedelta(days=2, hours=23))
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None and endpoint.failing_since is not None
    fail_for(time_machine, timedelta(hours=7))

    endpoint.refresh_from_db()
    assert endpoint.paused_at is not None
    (mail,) = paused_mails(people)
    assert mail.subject == f"Webhook paused: {receiver.url}"
    assert (
        "1 event(s) wait" in mail.text and f"/admin/webhooks/endpoint/{endpoint.pk}/" in mail.text
    )
    # Paused: nothing is tried, new events wait with the old one, nobody is told twice.
    calls = len(receiver.received)
    second = open_ticket(people.client, "Import fails")
    time_machine.move_to(timezone.now() + timedelta(days=1))
    deliver_due()
    assert len(receiver.received) == calls and len(paused_mails(people)) == 1

    receiver.status = 200
    assert endpoints.resume(endpoint) == 2
    deliver_everything(time_machine)

    refs = [r.payload["data"]["ticket"]["ref"] for r in receiver.accepted()]
    assert sorted(refs) == sorted([first.ref, second.ref])
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None and endpoint.failing_since is None


def test_a_success_ends_the_failing_spell(people: People, receiver: Receiver, time_machine) -> None:
    time_machine.move_to(timezone.now(), tick=False)
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    receiver.status = 503
    open_ticket(people.client)
    fail_for(time_machine, timedelta(days=2))
    receiver.status = 200
    deliver_everything(time_machine)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None

    receiver.status = 503
    open_ticket(people.client, "Again")
    fail_for(time_machine, timedelta(days=2))
    endpoint.refresh_from_db()
    assert endpoint.paused_at is None  # two days of failure now, not four


def test_send_again_repeats_a_delivered_event_under_its_id(
    people: People, receiver: Receiver
) -> None:
    subscribe(people, receiver, Kind.TICKET_CREATED)
    open_ticket(people.client)
    deliver_due()
    delivery = Delivery.objects.get()

    assert endpoints.send_again([delivery]) == 1
    deliver_due()

    first, again = receiver.received
    assert first.webhook_id == again.webhook_id == delivery.message_id
    assert first.body == again.body and again.verified
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.log.count() == 2


def test_the_admin_shows_the_secret_once_and_sends_again(
    people: People, receiver: Receiver
) -> None:
    browser = Client()  # a lead, with the role's permissions, not a superuser
    browser.force_login(people.lead)

    made = browser.post(
        "/admin/webhooks/endpoint/add/",
        {
            "url": receiver.url,
            "description": "CRM",
            "owner": people.lead.pk,
            "enabled": "on",
            "kinds": ["ticket.created", "ticket.closed"],
        },
        follow=True,
    )

    endpoint = Endpoint.objects.get(description="CRM")
    assert endpoint.kinds == ["ticket.closed", "ticket.created"]
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in made.content.decode()
    page = browser.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.secret not in page
    receiver.secret = endpoint.secret
    open_ticket(people.client)
    deliver_due()
    delivery = Delivery.objects.get()
    log = browser.get(f"/admin/webhooks/delivery/{delivery.pk}/change/").content.decode()
    assert "200" in log and '{"ok": true}' in log.replace("&quot;", '"')

    browser.post(
        "/admin/webhooks/delivery/",
        {"action": "send_again", "_selected_action": [delivery.pk]},
    )
    deliver_due()
    assert [r.webhook_id for r in receiver.received] == [delivery.message_id] * 2
    assert site.is_registered(Delivery)
