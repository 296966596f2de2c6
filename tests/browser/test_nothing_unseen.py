"""No client mail goes unseen, in real Chromium: a Dutch client follows the protocol's own
suggestion, the agent solves and closes, the client's later reply in the portal reopens the
ticket, and the agent hears of it through the bell; the queue refreshes itself without losing
what the agent typed or selected."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.outbox.models import OutboundMail
from deskside.portal.session import user_for
from deskside.tickets.models import Status, Ticket
from tests.browser.test_desk import sign_in
from tests.browser.test_refusal import sign_in as sign_in_as
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)

SUGGESTED = re.compile(r'bijvoorbeeld "([^"]+)"')
PORTAL_LINK = re.compile(r"Bekijk dit ticket in het portaal: (\S+)")


def from_claire(subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Claire Peeters <Claire@Acme.example>"
    mail["To"] = "support@deskside.test"
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="acme.example")
    mail.set_content("Hallo,\n\nDe exporttaak blijft hangen sinds vanochtend.\n\nClaire")
    return mail.as_bytes()


def test_a_client_follows_our_instructions_and_her_late_reply_reaches_the_agent(
    live_server, page: Page, browser: Browser, settings, screenshot
):
    settings.DESKSIDE_BASE_URL = live_server.url  # links in mail lead to this server
    base = live_server.url
    people = make_people()

    # 1. An ambiguous subject: closed at once, and the explanation suggests a subject.
    first = ingest(
        from_claire("Severity 2 - Sev 1 or Sev 3? Export job stuck"),
        door=Door.PIPE,
        received_at=timezone.now() - timedelta(days=2),
    )
    assert first.outcome == "rejected"
    explanation = OutboundMail.objects.get(purpose="protocol")
    suggested = SUGGESTED.search(explanation.text)
    assert suggested and suggested.group(1) == "Ernst 2 - Export job stuck"

    # 2. Claire does exactly as told; her reply reached us yesterday and is processed now.
    arrived = timezone.now() - timedelta(days=1)
    reply = ingest(
        from_claire(f"Re: [{first.ticket}] {suggested.group(1)}"),
        door=Door.PIPE,
        received_at=arrived,
    )
    assert (reply.ticket, reply.severity) == (first.ticket, 2)
    ticket = Ticket.objects.get(subject__startswith="Severity 2 - Sev 1")
    ack = OutboundMail.objects.get(purpose="acknowledgement")
    portal_link = PORTAL_LINK.search(ack.text)
    assert portal_link and portal_link.group(1) == f"{base}/portal/ticket/{ticket.ref}/"

    # 3. The agent finds it, sees when the reply arrived, answers and closes it as solved.
    sign_in(page, base, "alice")
    page.get_by_role("row").filter(has_text="Export job stuck").get_by_role(
        "link", name=ticket.ref
    ).click()
    shown_at = timezone.localtime(arrived).strftime("%a %-d %b %Y %H:%M")  # yesterday
    from_client = page.get_by_role("article", name=re.compile("From the client"))
    expect(from_client.nth(1)).to_contain_text(shown_at)  # after the first mail, two days ago
    page.get_by_role("button", name="Take it").first.click()
    expect(page.get_by_text("You took this ticket.")).to_be_visible()  # the page came back
    page.get_by_label("Reply, sent by mail in Nederlands").fill("De taak loopt weer.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to Claire@Acme.example.")).to_be_visible()
    page.locator("summary", has_text=re.compile(r"^Close$")).click()
    page.locator("#id_close_reason").select_option("solved")
    page.get_by_role("button", name="Close ticket").click()
    expect(page.locator(".facts")).to_contain_text("Closed (Solved)")

    # 4. Claire follows the link in our mail; the portal says what a reply will do.
    claire = browser.new_context().new_page()
    sign_in_as(claire, base, user_for(people.client))
    claire.goto(portal_link.group(1))
    expect(
        claire.get_by_text(re.compile("Een antwoord dat u vóór .* verstuurt, heropent het"))
    ).to_be_visible()
    claire.get_by_label("Uw antwoord").fill("Vandaag hangt de taak opnieuw.")
    screenshot(claire, "portal-reply-to-closed")
    claire.get_by_role("button", name="Versturen en heropenen").click()
    expect(claire.get_by_text("Uw antwoord heeft het ticket heropend.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN

    # 5. The agent is told: the bell counts it, and it leads to the ticket.
    page.goto(f"{base}/desk/")
    bell = page.get_by_role("link", name="Notifications: 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    told = page.get_by_role("link", name=re.compile("Your client's reply reopened the ticket"))
    expect(told).to_be_visible()
    screenshot(page, "desk-notifications")
    told.click()
    expect(page.get_by_text("Vandaag hangt de taak opnieuw.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Open")
    expect(page.get_by_role("link", name=re.compile("Notifications"))).to_have_text("Notifications")


def test_the_queue_refreshes_itself_and_keeps_the_selection_and_the_search(live_server, page: Page):
    people = make_people()
    ingest(from_claire("Sev 3 - Export job stuck"), door=Door.PIPE)
    page.clock.install()
    sign_in(page, live_server.url, people.agent.username)
    page.keyboard.press("j")
    expect(page.locator("tr.selected")).to_contain_text("Export job stuck")
    search = page.get_by_role("searchbox", name="Search tickets")
    search.fill("half-typed")
    search.blur()

    ingest(from_claire("Sev 1 - Payroll is down"), door=Door.PIPE)
    page.clock.run_for(31_000)

    expect(page.get_by_role("row").filter(has_text="Payroll is down")).to_be_visible()
    expect(page.locator("tr.selected")).to_contain_text("Export job stuck")
    expect(search).to_have_value("half-typed")
    expect(page.get_by_role("link", name=re.compile(r"Level 1\s+1"))).to_be_visible()
