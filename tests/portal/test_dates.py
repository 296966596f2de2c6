"""Dates in the portal read in the client's language: "2. Dezember 2026, 10:00" for a German
reader, "2 december 2026, 10:00" for a Dutch one; and in the admin in the lead's."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from deskside.accounts.models import Contact
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db

WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))


@pytest.mark.parametrize(
    ("language", "opened", "first_answer"),
    [
        ("de", "2. Dezember 2026, 10:00", "Donnerstag, 3. Dezember 2026, 10:00"),
        ("nl", "2 december 2026, 10:00", "donderdag, 3 december 2026, 10:00"),
        ("fr", "2 décembre 2026, 10:00", "jeudi, 3 décembre 2026, 10:00"),
        ("en", "2 December 2026, 10:00", "Thursday, 3 December 2026, 10:00"),
    ],
)
def test_a_ticket_shows_its_dates_in_the_readers_language(
    people, language: str, opened: str, first_answer: str
) -> None:
    contact = Contact.objects.create(
        email=f"{language}@acme.example", language=language, organisation=people.acme
    )
    with time_machine.travel(WEDNESDAY_10, tick=False):
        ticket = open_ticket(contact, level=3)
        page = signed_in(contact).get(f"/portal/ticket/{ticket.ref}/").content.decode()
    assert opened in page
    assert first_answer in page  # level 3: 8 business hours, 7 on Wednesday and 1 on Thursday


def test_the_admin_writes_dates_in_the_leads_language(people) -> None:
    lead = Client(headers={"accept-language": "de"})
    lead.force_login(User.objects.create_superuser("root", "root@ccs2.test", "pw"))
    with time_machine.travel(WEDNESDAY_10, tick=False):
        open_ticket(people.client, level=3)
    page = lead.get("/admin/tickets/ticket/").content.decode()
    assert "2. Dezember 2026, 10:00" in page
