"""Public holidays come from the database, so the clocks never need the `holidays` package."""

from __future__ import annotations

import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from deskside.core import business_time
from deskside.tickets import policy
from deskside.tickets.models import PublicHoliday

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=BRUSSELS)


def test_belgian_holidays_are_seeded_for_a_century():
    days_2026 = PublicHoliday.objects.filter(country="BE", date__year=2026)
    assert days_2026.count() == 12  # the ten days off, and Easter and Whit Sunday
    assert days_2026.filter(date=date(2026, 7, 21), name="National Day").exists()
    years = PublicHoliday.objects.filter(country="BE").dates("date", "year")
    assert [d.year for d in years] == list(range(2000, 2101))


def test_the_clocks_run_without_the_holidays_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "holidays", None)  # `import holidays` now fails
    business_time._library_holidays.cache_clear()
    policy.clear()
    calendar = policy.calendar()
    # 2088 is compiled fresh here; Belgian National Day falls on a Wednesday that year.
    assert not calendar.is_open(at_ten(date(2088, 7, 21)))
    assert calendar.is_open(at_ten(date(2088, 7, 20)))
    with pytest.raises(ImportError):
        calendar.is_open(at_ten(date(2101, 7, 21)))  # not stored: the package would be needed


def test_a_holiday_added_by_a_lead_closes_the_desk():
    monday = date(2027, 5, 3)
    assert policy.calendar().is_open(at_ten(monday))
    PublicHoliday.objects.create(country="BE", date=monday, name="A new law's holiday")
    assert not policy.calendar().is_open(at_ten(monday))


def test_without_a_default_calendar_the_stored_belgian_holidays_still_close(monkeypatch):
    from deskside.tickets.models import BusinessCalendar

    monkeypatch.setitem(sys.modules, "holidays", None)
    business_time._library_holidays.cache_clear()
    BusinessCalendar.objects.all().delete()
    policy.clear()
    calendar = policy.calendar()
    assert not calendar.is_open(at_ten(date(2087, 7, 21)))  # National Day, a Monday
    assert calendar.is_open(at_ten(date(2087, 7, 22)))
    assert not calendar.is_open(datetime(2087, 7, 22, 8, 59, tzinfo=BRUSSELS))
