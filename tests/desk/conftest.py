"""The desk's tests: the named people, a signed-in agent, and tickets opened as mail opens them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import tests.people
from deskside.accounts.models import Contact
from deskside.tickets import policy
from deskside.tickets.actions import NewFile
from deskside.tickets.models import Ticket
from tests.people import People

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)  # a working Monday, in hours


@pytest.fixture(autouse=True)
def _fresh_policy():
    # The calendar and targets are cached per process for a few seconds; tests start cold.
    policy.clear()


@pytest.fixture
def agent(client, people):
    client.force_login(people.agent)
    return client


def open_ticket(
    people: People,
    level: int = 2,
    subject: str | None = None,
    *,
    contact: Contact | None = None,
    text: str = "The export fails since this morning.",
    visible_text: str = "",
    html: str = "",
    files: tuple[NewFile, ...] = (),
    received_at: datetime = MONDAY_10,
) -> Ticket:
    """The client's ticket at `level`, received on a working Monday morning."""
    return tests.people.open_ticket(
        contact or people.client,
        subject or f"[Sev {level}] Export fails",
        level,
        text,
        visible_text=visible_text,
        html=html,
        files=files,
        received_at=received_at,
    )


def refs_in(html: str) -> list[str]:
    """The tickets of a queue or result table, in the order a person reads them."""
    return re.findall(r'<tr data-href="/desk/ticket/([A-Z]+-\d+)/"', html)
