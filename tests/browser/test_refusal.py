"""The portal's answers to proposed steps in real Chromium: a client reads the steps support
proposed, refuses them with a reason, and the agent finds the refusal as evidence on the desk's
ticket page; another says the steps worked, beside the refusal."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.models import EventKind, Status
from tests.people import make_people
from tests.portal.conftest import open_ticket

pytestmark = pytest.mark.django_db(transaction=True)
STEPS = "Restart the export service, then export again."


def sign_in(page: Page, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def test_a_client_refuses_the_proposed_steps_in_the_portal(
    live_server, page: Page, browser: Browser, screenshot
):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(people.client, subject="Export stops at 1000 rows", level=3)
    actions.propose_steps(ticket, STEPS, by=actions.Actor.staff(people.agent))

    sign_in(page, base, user_for(people.client))
    page.goto(f"{base}/portal/ticket/{ticket.ref}/")
    # Claire reads Dutch.
    steps = page.get_by_role("region", name="Door support voorgestelde stappen")
    expect(steps).to_be_visible()
    expect(steps.get_by_text(STEPS)).to_be_visible()
    steps.get_by_label("Waarom passen de stappen u niet?").fill("Not during the month end.")
    screenshot(page, "portal-proposed-steps")
    steps.get_by_role("button", name="De voorgestelde stappen weigeren").click()

    expect(page.get_by_text("U hebt de voorgestelde stappen geweigerd.")).to_be_visible()
    expect(page.get_by_role("button", name="De voorgestelde stappen weigeren")).to_have_count(0)
    expect(page.get_by_text("Not during the month end.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.get(kind=EventKind.REFUSED).data["reason"] == "Not during the month end."

    # The agent, in the desk, sees the refusal as evidence and may close as refused.
    desk = browser.new_context()
    agent = desk.new_page()
    sign_in(agent, base, people.agent)
    agent.goto(f"{base}/desk/ticket/{ticket.ref}/")
    evidence = agent.get_by_role("region", name="Evidence")
    expect(evidence.get_by_text("(in the portal): Not during the month end.")).to_be_visible()
    expect(evidence.get_by_text(STEPS)).to_be_visible()
    screenshot(agent, "desk-evidence")
    desk.close()


def test_a_client_says_the_proposed_steps_worked(live_server, page: Page):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(people.client, subject="Export stops at 1000 rows", level=3)
    actions.propose_steps(ticket, STEPS, by=actions.Actor.staff(people.agent))

    sign_in(page, base, user_for(people.client))
    page.goto(f"{base}/portal/ticket/{ticket.ref}/")
    steps = page.get_by_role("region", name="Door support voorgestelde stappen")
    expect(steps.get_by_role("button", name="De voorgestelde stappen weigeren")).to_be_visible()
    steps.get_by_role("button", name="De stappen hebben gewerkt").click()

    expect(
        page.get_by_text("Bedankt: het supportteam weet nu dat de stappen hebben")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Door support voorgestelde stappen")).to_have_count(0)
    expect(page.get_by_text("De voorgestelde stappen hebben gewerkt.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
