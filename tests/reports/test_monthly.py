"""The monthly report by mail: on the first business day, once, to the organisation's chosen
contacts only, in each one's language, with the month's figures and a link to the portal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.reports import monthly
from deskside.reports.admin import MonthlyMailForm
from deskside.reports.models import MonthlyMail
from deskside.runtime.scheduler import JOBS
from deskside.tickets import policy
from tests.people import People
from tests.portal.conftest import open_ticket
from tests.reports.brute import BRUSSELS

DECEMBER_7 = datetime(2026, 12, 7, 10, 0, tzinfo=BRUSSELS)


@pytest.fixture
def december(people: People) -> None:
    with time_machine.travel(DECEMBER_7, tick=False):
        open_ticket(people.client, "Acme export", 2)
        open_ticket(people.colleague, "Acme login", 3)
        open_ticket(people.other_client, "Globex printer", 1)


def test_the_first_business_day_skips_new_years_day_and_the_weekend(db):
    cal = policy.calendar()
    assert monthly.first_business_day(date(2026, 12, 1), cal) == date(2026, 12, 1)
    assert monthly.first_business_day(date(2027, 1, 1), cal) == date(2027, 1, 4)
    assert monthly.month_due(datetime(2027, 1, 1, 12, tzinfo=BRUSSELS), cal) is None
    due = monthly.month_due(datetime(2027, 1, 4, 8, tzinfo=BRUSSELS), cal)
    assert due is not None and due.first == date(2026, 12, 1)


def test_sent_once_to_the_chosen_contacts_of_the_organisation_only(people: People, december):
    setting = MonthlyMail.objects.create(organisation=people.acme)
    # Set past the admin's check: a contact of another organisation is never sent the report.
    setting.contacts.set([people.client, people.other_client])
    with time_machine.travel(datetime(2027, 1, 1, 12, tzinfo=BRUSSELS), tick=False):
        assert monthly.send_due() == 0  # New Year's Day: not a business day
    with time_machine.travel(datetime(2027, 1, 4, 9, 30, tzinfo=BRUSSELS), tick=False):
        assert monthly.send_due() == 1
        assert monthly.send_due() == 0  # once
    mail = OutboundMail.objects.get(purpose=monthly.PURPOSE)
    assert mail.to == [people.client.email]
    assert mail.subject == "Supportrapport van Acme Antwerp voor december 2026"  # Claire: Dutch
    assert "2 tickets ontvangen." in mail.text and "Niveau 2: 1" in mail.text
    assert "Eerste antwoord binnen 2 h:" in mail.text
    assert "/portal/report/?month=2026-12" in mail.text
    assert "Globex" not in mail.text
    setting.refresh_from_db()
    assert setting.last_month == date(2026, 12, 1)


def test_a_disabled_setting_sends_nothing_and_english_reads_english(people: People, december):
    MonthlyMail.objects.create(organisation=people.other_org, enabled=False).contacts.set(
        [people.other_client]
    )
    english = MonthlyMail.objects.create(organisation=people.acme)
    Contact.objects.filter(pk=people.colleague.pk).update(language="en")
    english.contacts.set([people.colleague])
    with time_machine.travel(datetime(2027, 1, 5, 9, tzinfo=BRUSSELS), tick=False):
        assert monthly.send_due() == 1
    mail = OutboundMail.objects.get(purpose=monthly.PURPOSE)
    assert mail.subject == "Support report of Acme Antwerp for December 2026"
    assert "2 tickets received." in mail.text and "&amp;" not in mail.text


def test_the_admin_refuses_a_contact_of_another_organisation(people: People):
    form = MonthlyMailForm(
        {
            "organisation": people.acme.pk,
            "contacts": [people.client.pk, people.other_client.pk],
            "enabled": True,
        }
    )
    assert not form.is_valid()
    assert people.other_client.email in str(form.errors)


def test_the_scheduler_runs_the_job():
    assert any(job.task_path == "deskside.reports.tasks.send_monthly_reports" for job in JOBS)
    assert timedelta(seconds=min(j.every for j in JOBS if "monthly" in j.task_path)) <= timedelta(
        hours=1
    )
