"""Floods: caps on new tickets (per address, organisation and domain), on automatic answers
(per address, domain and organisation) and on alerts (per person), repeats coalesced into one
ticket, and the administrators told when a cap trips, with nothing dropped: what a cap stops
waits under Held mail, or in the portal form it came from (docs/mail-doors.md, Floods).

Every test names the advisory or issue it comes from and asserts what a person sees: how many
tickets, what is held, who was told and how often, what was mailed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.tickets import floods, policy
from deskside.tickets.models import Notification, NotificationKind, Ticket
from tests.people import People, make_people
from tests.portal.conftest import signed_in
from tests.security.doors import MONDAY_10

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> People:
    policy.clear()
    return make_people()


@pytest.fixture(autouse=True)
def _monday() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def admins_told() -> list[str]:
    return [n.title for n in Notification.objects.filter(kind=NotificationKind.FLOOD)]


# -- alerts -------------------------------------------------------------------------------------


def test_fifty_level_one_tickets_alert_each_agent_ten_times_and_sum_up_the_rest(
    people: People,
) -> None:
    """Issue #13: 50 level-1 portal tickets sent 50 alerts to every agent. Past ALERTS_PER_HOUR
    a person gets one notice (and one mail) that grows a line per ticket, unread again."""
    writers = [people.client, people.colleague] + [
        Contact.objects.create(email=f"staff{n}@acme.example", organisation=people.acme)
        for n in range(3)
    ]
    for writer in writers:
        client = signed_in(writer)
        for n in range(10):
            client.post(
                "/portal/new/", {"subject": f"Down {n}", "description": "Down.", "level": "1"}
            )

    assert Ticket.objects.filter(severity=1).count() == 50
    alice = Notification.objects.filter(user=people.agent, kind=NotificationKind.ESCALATION)
    assert alice.count() == floods.ALERTS_PER_HOUR + 1
    summary = alice.order_by("-id").first()
    assert summary is not None and summary.title.startswith("40 more this hour")
    assert summary.text.count("\n") == 39 and summary.read_at is None
    mails = [
        m for m in OutboundMail.objects.filter(purpose="escalation") if "alice@ccs2.test" in m.to
    ]
    assert len(mails) == floods.ALERTS_PER_HOUR + 1
    assert [t for t in admins_told() if "an hour of" in t] == [
        "Flood: more than 10 an hour of 'A level-1 or level-2 ticket needs an agent'"
    ]
