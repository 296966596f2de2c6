"""What a keyboard or screen-reader user meets first, in real Chromium: a skip link past the
navigation on every page, and level badges that say "level" in words, not by colour and digit."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.portal.session import user_for
from tests.browser.test_desk import sign_in
from tests.browser.test_refusal import sign_in as sign_in_as
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_tab_stop_skips_to_the_main_content(live_server, page: Page):
    page.goto(f"{live_server.url}/portal/signin/")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).not_to_be_in_viewport()  # out of sight until a keyboard reaches it
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_level_badges_say_their_level_in_words(live_server, page: Page):
    people = make_people()
    ticket = open_ticket(people, 2, "[Sev 2] Export fails", received_at=timezone.now())
    sign_in(page, live_server.url, "alice")
    row = page.get_by_role("row").filter(has_text=ticket.ref)
    expect(row.get_by_text("Claimed level 2", exact=True)).to_be_attached()
    expect(row.get_by_text("Assessed level 2", exact=True)).to_be_attached()
    expect(row.locator(".level [aria-hidden=true]").first).to_have_text("2")  # to the eye

    client = page.context.browser.new_page()  # type: ignore[union-attr]
    sign_in_as(client, live_server.url, user_for(people.client))
    client.goto(f"{live_server.url}/portal/")
    # Claire reads Dutch.
    row = client.get_by_role("row").filter(has_text="Export fails")
    expect(row.get_by_text("Niveau 2", exact=True)).to_be_attached()
    client.close()
