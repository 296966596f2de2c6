"""The portal in real Chromium: a client signs in by link, opens a ticket with a level chosen
in the form, replies; a client of another organisation cannot reach that ticket."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.models import SeverityLevel, Ticket
from tests.people import make_people
from tests.portal.conftest import open_ticket

pytestmark = pytest.mark.django_db(transaction=True)
LINK = re.compile(r"/portal/login/([A-Za-z0-9_-]+)/")


def sign_in_by_link(page: Page, base: str, address: str) -> None:
    page.goto(f"{base}/portal/")
    expect(page.get_by_role("heading", name="Get a sign-in link by mail")).to_be_visible()
    page.get_by_label("E-mail address").first.fill(address)
    page.get_by_role("button", name="Send me a link").click()
    expect(
        page.get_by_text("If this address is known to us, a sign-in link is on its way")
    ).to_be_visible()
    mail = OutboundMail.objects.filter(purpose="portal_link", primary_to=address.lower()).first()
    assert mail is not None
    token = LINK.search(mail.text)
    assert token is not None
    page.goto(f"{base}/portal/login/{token.group(1)}/")
    page.get_by_role("button", name="Sign me in").click()


def test_a_client_signs_in_opens_a_ticket_and_replies(
    live_server, page: Page, browser: Browser, screenshot
):
    people = make_people()
    assert SeverityLevel.objects.count() == 4
    base = live_server.url
    payroll = open_ticket(people.client, subject="Payroll run stops with error 500", level=1)
    actions.reply(
        payroll, "We are on it; a fix is being tested.", by=actions.Actor.staff(people.agent)
    )
    slow = open_ticket(people.colleague, subject="Reports page is slow since the update", level=3)
    actions.wait_on_client(slow, by=actions.Actor.staff(people.agent))
    open_ticket(people.client, subject="How do I add a user to the finance team?", level=4)

    sign_in_by_link(page, base, "claire@acme.example")
    # Claire reads Dutch; she switches the portal to English, and it stays on her contact.
    expect(page.get_by_role("heading", name="Tickets van Acme Antwerp")).to_be_visible()
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.get_by_role("heading", name="Tickets of Acme Antwerp")).to_be_visible()
    people.client.refresh_from_db()
    assert people.client.language == "en"
    screenshot(page, "portal-home")

    page.get_by_role("link", name="New ticket").first.click()
    level_2 = SeverityLevel.objects.get(level=2)
    expect(page.get_by_text(level_2.definition_en)).to_be_visible()
    screenshot(page, "portal-new-ticket")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_text(level_2.definition_en)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "portal-new-ticket-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_label("Subject").fill("Invoices export stops at 1000 rows")
    page.get_by_label(re.compile(level_2.name_en)).check()
    page.get_by_label("Description").fill("Since Monday the export stops after 1000 rows.")
    page.get_by_label("Attachments").set_input_files(
        files=[FilePayload(name="export.csv", mimeType="text/csv", buffer=b"id;total\n1;2\n")]
    )
    page.get_by_role("button", name="Open the ticket").click()

    ticket = Ticket.objects.get(subject="Invoices export stops at 1000 rows")
    assert (ticket.claimed_severity, ticket.severity) == (2, 2)
    expect(page.get_by_text(f"Your ticket {ticket.ref} is open")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(ticket.ref))).to_be_visible()
    expect(page.get_by_role("link", name="export.csv")).to_be_visible()

    page.get_by_label("Your reply").fill("It also happens with 999 rows.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was added to the ticket.")).to_be_visible()
    expect(page.get_by_text("It also happens with 999 rows.")).to_be_visible()

    # Olivier of Globex, in his own browser, cannot reach Acme's ticket.
    other = browser.new_context()
    olivier = other.new_page()
    sign_in_by_link(olivier, base, "olivier@globex.example")
    expect(olivier.get_by_role("heading", name="Tickets de Globex Lyon")).to_be_visible()
    expect(olivier.get_by_text(ticket.ref)).to_have_count(0)
    answer = olivier.goto(f"{base}/portal/ticket/{ticket.ref}/")
    assert answer is not None and answer.status == 404
    expect(olivier.get_by_text("Invoices export stops")).to_have_count(0)
    other.close()
