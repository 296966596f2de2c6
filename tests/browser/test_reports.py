"""The lead's report in real Chromium: the lead opens Reports from the navigation, sees the
week's figures (a breach linked to its ticket, the load chart and its table), downloads a CSV,
and the strict CSP reports nothing. An agent is not offered the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.tickets import actions
from tests.browser.test_desk import sign_in
from tests.browser.test_portal import sign_in_by_link
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lead_opens_reports_sees_the_figures_and_downloads_a_csv(
    live_server, page: Page, screenshot
):
    people = make_people()
    # Received long enough ago, in this week or the last, that a level-1 first response is late.
    received = timezone.now() - timedelta(days=3)
    late = open_ticket(people, 1, "[Sev 1] Everything is down", received_at=received)
    actions.reply(late, "Looking now.", by=actions.Actor.staff(people.agent))
    open_ticket(people, 3, "[Sev 3] Slow export", received_at=received)

    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.text} {m.location['url']}"))
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, live_server.url, "lena")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Reports: "))).to_be_visible()
    # A custom period around the tickets, whatever the day of the week the test runs.
    page.get_by_label("Period", exact=True).select_option("custom")
    page.get_by_label("From", exact=True).fill((received - timedelta(days=1)).date().isoformat())
    page.get_by_label("To", exact=True).fill(timezone.now().date().isoformat())
    page.get_by_role("button", name="Show").click()

    clocks = page.locator("#clocks-table")
    expect(clocks.get_by_role("row").filter(has_text="First response").first).to_be_visible()
    breaches = page.locator("#breaches-table")
    expect(breaches.get_by_role("link", name=late.ref).first).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Tickets received per day"))).to_be_visible()
    expect(page.locator("#load-table")).to_contain_text("2")
    screenshot(page, "reports")

    with page.expect_download() as download_info:
        page.get_by_role("heading", name=re.compile("Clocks kept")).get_by_role(
            "link", name="CSV"
        ).click()
    download = download_info.value
    assert re.fullmatch(
        r"deskside-clocks-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv", download.suggested_filename
    )
    body = download.path().read_text(encoding="utf-8")
    assert body.startswith("\ufeff" + "level,clock,met,breached")
    assert "1,first_response,0,1," in body

    # Every figure links to the tickets behind it: the late first response, from its count.
    clocks.get_by_role("row").filter(has_text="First response").first.get_by_role(
        "link", name="1"
    ).first.click()
    expect(page.get_by_role("heading", name="Tickets behind a figure")).to_be_visible()
    expect(page.locator("#behind-table").get_by_role("link", name=late.ref)).to_be_visible()
    page.get_by_role("link", name="← Back to the report").click()
    expect(page.locator("#backlog-table")).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Open tickets at the end of each day"))
    ).to_be_visible()
    expect(page.locator("#agents-table")).to_contain_text("Alice")

    # The browser asks for /favicon.ico on its own; the site has none yet.
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []

    # An agent has no Reports in the navigation, and the page itself refuses them.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, "alice")
    expect(page.get_by_role("link", name="Reports")).to_have_count(0)
    response = page.goto(f"{live_server.url}/desk/reports/")
    assert response is not None and response.status == 403


def test_a_client_reads_their_organisations_monthly_report(live_server, page: Page, screenshot):
    """In the portal, Claire (Dutch) reads Acme's month; Globex's ticket is nowhere on it."""
    people = make_people()
    now = timezone.now()
    acme = open_ticket(people, 2, "[Sev 2] Export fails", received_at=now)
    globex = open_ticket(
        people, 1, "[Sev 1] Globex is down", contact=people.other_client, received_at=now
    )
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.text} {m.location['url']}"))
    sign_in_by_link(page, live_server.url, people.client.email)
    page.get_by_role("link", name="Maandrapport").click()
    expect(
        page.get_by_role("heading", name=re.compile("^Rapport van Acme Antwerp"))
    ).to_be_visible()
    expect(page.locator("#levels-table")).to_contain_text("Niveau 2")
    expect(page.locator("#open-table").get_by_role("link", name=acme.ref)).to_be_visible()
    expect(page.get_by_text(globex.ref)).to_have_count(0)
    expect(page.get_by_text("Globex")).to_have_count(0)
    screenshot(page, "portal-report")
    assert [p for p in problems if not p.endswith("/favicon.ico")] == []
