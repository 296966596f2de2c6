"""The desk's tests: the named people, a signed-in agent, and tickets opened as mail opens them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from deskside.tickets import actions, policy
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import Direction, MessageKind, Ticket
from tests.people import make_people

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)  # a working Monday, in hours


@pytest.fixture(autouse=True)
def _fresh_policy():
    # The calendar and targets are cached per process for a few seconds; tests start cold.
    policy.clear()


@pytest.fixture
def people(db):
    return make_people()


@pytest.fixture
def agent(client, people):
    client.force_login(people.agent)
    return client


def open_ticket(
    people,
    level: int = 2,
    subject: str | None = None,
    *,
    contact=None,
    text: str = "The export fails since this morning.",
    visible_text: str = "",
    html: str = "",
    files: tuple[NewFile, ...] = (),
    received_at: datetime = MONDAY_10,
) -> Ticket:
    subject = subject or f"[Sev {level}] Export fails"
    contact = contact or people.client
    return actions.open_ticket(
        contact=contact,
        subject=subject,
        claimed_severity=level,
        received_at=received_at,
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text=text,
            visible_text=visible_text,
            html=html,
            sender=contact.email,
            subject=subject,
            files=files,
        ),
    )


def refs_in(html: str) -> list[str]:
    """The tickets of a queue or result table, in the order a person reads them."""
    return re.findall(r'<tr data-href="/desk/ticket/([A-Z]+-\d+)/"', html)
