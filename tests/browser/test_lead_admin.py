"""The lead's settings in real Chromium: a support lead, not a superuser, signs in to the admin,
reads a level's clocks in business words, is refused a timedelta with the format to use, sets
the goal in business days, and gives Friday a shorter afternoon in the opening hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from deskside.tickets.models import BusinessCalendar, SeverityLevel
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lead_edits_a_level_and_the_opening_hours(live_server, page: Page, screenshot):
    people = make_people()
    assert not people.lead.is_superuser
    base = live_server.url
    problems: list[str] = []  # CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("lena")
    page.get_by_label("Password").fill("pw-lena")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Severity levels").click()
    minor = page.get_by_role("row").filter(has_text="Minor")
    expect(minor).to_contain_text("10 business days: solution")
    expect(minor).not_to_contain_text("0:00:00")

    minor.get_by_role("link", name="3", exact=True).click()
    goal = page.get_by_label("Goal")
    expect(goal).to_have_value("10 business days")
    goal.fill("1 day, 0:00:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(
        page.get_by_text("Write a duration like 30 min, 8 h or 3 business days.")
    ).to_be_visible()
    screenshot(page, "admin-level-durations")
    page.get_by_label("Goal").fill("12 business days")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert SeverityLevel.objects.get(level=3).goal == timedelta(hours=96)

    page.goto(f"{base}/admin/tickets/businesscalendar/")
    page.get_by_role("link", name="Brussels office hours").click()
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    page.get_by_label("Period 5: until").fill("08:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(
        page.get_by_text("Period 5: The desk must open before it closes (From before Until).")
    ).to_be_visible()
    screenshot(page, "admin-opening-hours")
    page.get_by_label("Period 5: until").fill("12:00")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert BusinessCalendar.objects.get(is_default=True).opening_hours[4] == [4, "09:00", "12:00"]
    assert problems == []
