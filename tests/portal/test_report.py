"""The organisation's monthly report in the portal: its own figures only, in its language."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.accounts.models import Contact
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from tests.people import People
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
NOVEMBER = "/portal/report/?month=2026-11"


@pytest.fixture
def november(people: People):
    """Acme: two tickets, one answered in time; Globex: three, one of them at level 1, late."""
    with time_machine.travel(MONDAY_10, tick=False):
        acme = [
            open_ticket(people.client, "Acme export", 2),
            open_ticket(people.colleague, "Acme login", 3),
        ]
        globex = [open_ticket(people.other_client, f"Globex {n}", 1) for n in range(3)]
    with time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False):
        actions.reply(acme[0], "On it.", by=Actor.staff(people.agent))
    with time_machine.travel(MONDAY_10 + timedelta(hours=3), tick=False):
        actions.reply(globex[0], "Sorry.", by=Actor.staff(people.agent))
    return acme, globex


def test_an_organisation_sees_its_own_figures_never_anothers(people: People, november):
    acme, globex = november
    Contact.objects.filter(pk__in=(people.client.pk, people.other_client.pk)).update(language="en")
    with time_machine.travel(MONDAY_10 + timedelta(days=10), tick=False):
        page = signed_in(people.client).get(NOVEMBER).content.decode()
        other = signed_in(people.other_client).get(NOVEMBER).content.decode()
    assert "Report of Acme Antwerp for November 2026" in page
    assert "2 tickets received this month." in page
    for ticket in acme:
        assert ticket.ref in page  # open, listed
    for ticket in globex:
        assert ticket.ref not in page and ticket.subject not in page
    assert "Globex" not in page
    assert "3 tickets received this month." in other
    assert all(t.ref not in other for t in acme) and "Acme" not in other
    # A query naming the other organisation changes nothing: the filter is the contact's own.
    with time_machine.travel(MONDAY_10 + timedelta(days=10), tick=False):
        forged = (
            signed_in(people.client)
            .get(f"{NOVEMBER}&organisation={people.other_org.pk}")
            .content.decode()
        )
    assert "2 tickets received this month." in forged and "Globex" not in forged


def test_promised_and_delivered_per_clock(people: People, november):
    Contact.objects.filter(pk=people.other_client.pk).update(language="en")
    with time_machine.travel(MONDAY_10 + timedelta(days=10), tick=False):
        page = signed_in(people.other_client).get(NOVEMBER).content.decode()
    row = page.split('id="promises-table"')[1].split("</tr>")[1]
    # Level 1, first response within 30 min: none kept, three late.
    assert "Level 1" in row and "First response" in row and "30 min" in row
    assert "<td>0</td><td>3</td><td>0.0 %</td>" in row


def test_the_report_speaks_the_clients_language(people: People, november):
    with time_machine.travel(MONDAY_10 + timedelta(days=10), tick=False):
        page = signed_in(people.client).get(NOVEMBER).content.decode()  # Claire reads Dutch
    assert "Rapport van Acme Antwerp voor november 2026" in page
    assert "2 tickets ontvangen deze maand." in page and "Eerste antwoord" in page


def test_a_month_that_does_not_read_is_the_current_one_and_staff_are_refused(people: People):
    client = signed_in(people.client)
    assert client.get("/portal/report/?month=garbage").status_code == 200
    staff = signed_in(people.client)
    staff.force_login(people.lead)
    assert staff.get("/portal/report/").status_code == 403


def test_a_contact_without_an_organisation_has_no_report(people: People):
    loner = Contact.objects.create(email="solo@example.org", language="en")
    assert signed_in(loner).get("/portal/report/").status_code == 404


def test_the_report_reads_few_queries(people: People, november, django_assert_max_num_queries):
    client = signed_in(people.client)
    with django_assert_max_num_queries(20):
        assert client.get(NOVEMBER).status_code == 200


def test_no_month_to_come_is_offered(people: People):
    """The current month offers the one before, not the one after: nothing is received in a
    month to come."""
    client = signed_in(people.client)
    with time_machine.travel(MONDAY_10, tick=False):
        current = client.get("/portal/report/").content.decode()
        before = client.get("/portal/report/?month=2026-10").content.decode()
    assert 'href="?month=2026-10" rel="prev"' in current and 'rel="next"' not in current
    assert 'href="?month=2026-11" rel="next"' in before
