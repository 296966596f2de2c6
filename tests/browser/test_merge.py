"""Merging a duplicate from the ticket page in real Chromium: the agent types the target's
reference, the duplicate closes, the target shows the duplicate's messages, the client is
mailed, and the page stays clean (no script error, no CSP violation, nothing axe objects to)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.outbox.models import OutboundMail
from deskside.tickets.models import CloseReason, Status, Ticket
from tests.browser.test_axe import violations
from tests.browser.test_resolution import action, sign_in, watch_for_errors
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_merges_a_duplicate_from_the_ticket_page(live_server, page: Page, screenshot):
    people = make_people()
    base = live_server.url
    now = timezone.now()
    target = open_ticket(people, 3, "[Sev 3] Printer jams", received_at=now)
    duplicate = open_ticket(
        people, 3, "[Sev 3] Tray 2", text="The second tray eats paper.", received_at=now
    )
    problems = watch_for_errors(page)
    sign_in(page, base, people.agent)
    page.goto(f"{base}/desk/ticket/{duplicate.ref}/")

    merge = action(page, "Merge into…")
    merge.get_by_label("Merge into ticket").fill(target.ref.lower())
    merge.get_by_role("button", name="Merge as a duplicate").click()

    expect(page.get_by_text(f"Merged into {target.ref}, closed as its duplicate")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Closed (Duplicate of another ticket)")
    merged = page.get_by_role("region", name="Merged and related")
    merged.get_by_role("link", name=target.ref).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("[Sev 3] Printer jams")
    on_target = page.get_by_role("region", name="Merged and related")
    on_target.locator("summary", has_text=f"messages of {duplicate.ref}").click()
    expect(on_target).to_contain_text("The second tray eats paper.")
    expect(page.get_by_role("region", name="History")).to_contain_text(
        f"{duplicate.ref} was merged into this ticket as a duplicate"
    )
    assert violations(page) == []
    screenshot(page, "desk-merged")
    assert problems == []
    row = Ticket.objects.get(pk=duplicate.pk)
    assert (row.status, row.close_reason) == (Status.CLOSED, CloseReason.DUPLICATE)
    sent = OutboundMail.objects.get(ticket_ref=duplicate.ref, purpose="merged")
    assert f"loopt verder als {target.ref}" in sent.text
