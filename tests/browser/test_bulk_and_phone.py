"""In real Chromium: an agent ticks tickets in the queue and closes them with a reason (one is
refused, and says why); an agent types in a client's phone call, and the client receives the
acknowledgement by mail."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.core.cooperation import RefusalSource
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import deliver_due
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Status, Ticket
from tests.browser.test_desk import Inbox, claires_inbox, sign_in  # noqa: F401
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_ticks_tickets_and_closes_them_with_a_reason(live_server, page: Page, screenshot):
    """Closing as client_refused needs a recorded refusal: the ticket that has one closes, the
    one without is refused with the protocol's sentence, the unticked one stays open."""
    people = make_people()
    now = timezone.now()
    refusing, silent, untouched = (
        open_ticket(people, 3, f"[Sev 3] {subject}", received_at=now)
        for subject in ("Printer jams", "Scanner is slow", "Not this one")
    )
    actions.propose_steps(refusing, "Replace the drum.", by=Actor.staff(people.agent))
    actions.record_refusal(
        refusing, by=Actor.client(people.client), reason="No.", source=RefusalSource.PORTAL
    )
    page.clock.install()  # the queue's 30-second refresh, run when the test says
    sign_in(page, live_server.url, people.agent.username)

    page.keyboard.press("j")  # the first row, the nearest deadline: the silent ticket
    page.keyboard.press("x")
    expect(page.get_by_label(f"Select {silent.ref}")).to_be_checked()
    expect(page.get_by_label(f"Select {refusing.ref}")).not_to_be_checked()
    page.get_by_label("Select all tickets on this page").check()
    for ticket in (refusing, silent):
        expect(page.get_by_label(f"Select {ticket.ref}")).to_be_checked()
    page.get_by_label(f"Select {untouched.ref}").uncheck()
    expect(page.get_by_label("Select all tickets on this page")).not_to_be_checked()
    # A new ticket arrives and the list refreshes itself: what was ticked stays ticked.
    arrived = open_ticket(people, 3, "[Sev 3] Arrived meanwhile", received_at=now)
    page.clock.run_for(31_000)
    expect(page.get_by_label(f"Select {arrived.ref}")).not_to_be_checked()
    for ticket in (refusing, silent):
        expect(page.get_by_label(f"Select {ticket.ref}")).to_be_checked()
    expect(page.get_by_label(f"Select {untouched.ref}")).not_to_be_checked()
    page.get_by_label("Close reason").select_option(label="Client refused the proposed steps")
    page.get_by_label("Note (internal; when closing, for the history)").fill(
        "Refused on the phone."
    )
    screenshot(page, "desk-bulk")
    page.get_by_role("button", name="Close them").click()

    outcome = page.get_by_role("status").filter(has_text="refused")
    expect(outcome).to_contain_text("1 closed, 1 refused.")
    expect(outcome.get_by_role("link", name=silent.ref)).to_be_visible()
    expect(outcome).to_contain_text("Closing as client_refused needs a refusal recorded")
    refusing.refresh_from_db()
    assert (refusing.status, refusing.close_reason) == (Status.CLOSED, CloseReason.CLIENT_REFUSED)
    assert Ticket.objects.get(pk=silent.pk).status == Status.NEW
    assert Ticket.objects.get(pk=untouched.pk).status == Status.NEW
    assert Ticket.objects.get(pk=arrived.pk).status == Status.NEW
    expect(page.get_by_role("row").filter(has_text="Not this one")).to_be_visible()


def test_an_agent_types_in_a_call_and_the_client_gets_the_acknowledgement(
    live_server,
    page: Page,
    screenshot,
    claires_inbox: Inbox,  # noqa: F811 (the SMTP sink of test_desk)
):
    people = make_people()
    sign_in(page, live_server.url, people.agent.username)

    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Address or name (the start is enough)").fill("claire pee")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Claire Peeters <Claire@Acme.example>").click()
    page.get_by_label("Subject").fill("Export to Excel fails")
    page.get_by_role("radio", name="Level 3").check()
    page.get_by_label("What the client said").fill("Claire called: the export stops at 40%.")
    screenshot(page, "desk-new-ticket")
    page.get_by_role("button", name="Open the ticket and acknowledge it").click()

    ticket = Ticket.objects.get()
    expect(
        page.get_by_text(f"{ticket.ref} is open; the acknowledgement is on its way")
    ).to_be_visible()
    expect(page.get_by_text("Claire called: the export stops at 40%.")).to_be_visible()
    ack = OutboundMail.objects.get(purpose="acknowledgement", ticket_ref=ticket.ref)
    assert deliver_due() >= 1
    mail = claires_inbox.mail("Claire@Acme.example", ack.message_id)
    assert ticket.ref in str(mail["Subject"])
