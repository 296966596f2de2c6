"""Customers in real Chromium: an agent finds a client by part of her address, reads her page
(her tickets, her organisation's address and on-site eligibility), corrects her language, and
the strict CSP reports nothing on the way."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.accounts.models import Contact
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason
from tests.browser.test_desk import sign_in
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_finds_a_client_by_address_and_corrects_her_language(
    live_server, page: Page, screenshot
) -> None:
    people = make_people()
    now = timezone.now()
    current = open_ticket(people, 2, "[Sev 2] Export fails", received_at=now)
    earlier = open_ticket(people, 3, "[Sev 3] Login slow", received_at=now)
    actions.close(earlier, CloseReason.WITHDRAWN, by=Actor.staff(people.agent))
    problems: list[str] = []  # script errors and CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, people.agent.username)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_label("The start of a contact's mail address or name").fill("claire@acm")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("status")).to_contain_text("starts with “claire@acm”")
    page.get_by_role("link", name="Claire Peeters").click()

    expect(page.get_by_role("heading", name="Claire Peeters")).to_be_visible()
    open_list = page.get_by_role("region", name="Open tickets")
    expect(open_list.get_by_role("link", name=current.ref)).to_be_visible()
    past_list = page.get_by_role("region", name="Past tickets (resolved and closed)")
    expect(past_list.get_by_role("link", name=earlier.ref)).to_be_visible()
    expect(page.get_by_text("Allowed (Belgium, Antwerp)")).to_be_visible()
    expect(page.get_by_text("Nederlands")).to_be_visible()

    page.get_by_role("link", name="Edit the contact").click()
    page.get_by_label("Language").select_option(label="Deutsch")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("The contact's details are saved.")
    expect(page.get_by_text("Deutsch")).to_be_visible()
    assert Contact.objects.get(pk=people.client.pk).language == "de"
    screenshot(page, "desk-contact")
    page.get_by_role("link", name=current.ref).click()
    expect(page.get_by_role("heading", name="[Sev 2] Export fails")).to_be_visible()
    assert problems == []
