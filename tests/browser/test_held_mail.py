"""Held mail in real Chromium: a colleague of the client answers a ticket from an address the
desk does not know; the agent is told, finds the mail under Held mail with why it is held, adds
the colleague to the client's organisation, and the reply is on the ticket as the client's. A
hostile mail held beside it shows its markup as text and runs nothing."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from deskside.mail import held
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail
from deskside.outbox.models import OutboundMail
from tests.browser.test_desk import sign_in
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)

PIETS_REPLY = "Hallo, bij ons op de boekhouding faalt de export ook. Met vriendelijke groeten, Piet"


def reply(ref: str, sender: str, subject: str, text: str, html: str = "") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@deskside.test"
    mail["Subject"] = f"Re: [{ref}] {subject}"
    mail["Message-ID"] = make_msgid(domain="elsewhere.example")
    mail.set_content(text)
    if html:
        mail.add_alternative(html, subtype="html")
        mail.add_attachment(
            b"<script>alert('file')</script>", maintype="text", subtype="html", filename="x.html"
        )
    return mail.as_bytes()


def test_an_agent_files_a_colleagues_held_reply_on_the_clients_ticket(
    live_server, page: Page, screenshot
):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(people, 2, "[Sev 2] Export fails", received_at=timezone.now())
    for raw in (
        reply(ticket.ref, "Piet Peeters <piet@acme.example>", ticket.subject, PIETS_REPLY),
        reply(
            ticket.ref,
            "mallory@elsewhere.example",
            "<img src=x onerror=alert(1)> <b>urgent</b>",
            "<script>alert('text')</script>",
            html="<p>Pay here</p><script>alert('html')</script><img src=x onerror=alert(2)>",
        ),
    ):
        assert ingest(raw, door=Door.PIPE).outcome == "quarantined"

    problems: list[str] = []  # script errors and CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(f"{m.text} {m.location['url']}"))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

    sign_in(page, base, "alice")
    # Told in the bell, once for both mails (a burst is one notice), and counted beside Queue.
    page.get_by_role("link", name=re.compile(r"Notifications: \d+ unread")).click()
    expect(
        page.get_by_role("link", name=re.compile("2 held mails wait for review"))
    ).to_be_visible()
    page.get_by_role("link", name="Held mail: 2 waiting for review").click()

    expect(page.get_by_role("heading", name="Held mail")).to_be_visible()
    piets = page.get_by_role("row").filter(has_text="piet@acme.example")
    expect(piets).to_contain_text(f"unverified reply to {ticket.ref} from piet@acme.example")
    expect(piets.get_by_role("link", name=ticket.ref, exact=True)).to_be_visible()

    # The hostile one: its markup is text, its HTML sanitised, its file a download.
    page.get_by_role("link", name=re.compile("onerror=alert")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Re: [{ticket.ref}] <img src=x onerror=alert(1)> <b>urgent</b>"
    )
    expect(page.get_by_text("<script>alert('text')</script>")).to_be_visible()
    page.get_by_text("Show as HTML (sanitised)").click()
    expect(page.locator(".mail-html")).to_contain_text("Pay here")
    expect(page.locator(".mail-html script, .mail-html [onerror]")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="x.html").click()
    assert download.value.suggested_filename == "x.html"
    page.get_by_role("link", name="Back to held mail").click()

    page.get_by_role("link", name=f"Re: [{ticket.ref}] [Sev 2] Export fails").click()
    expect(page.get_by_text(PIETS_REPLY)).to_be_visible()
    expect(page.get_by_text("Not a contact.")).to_be_visible()
    expect(page.get_by_text("was told on")).to_be_visible()  # the "waits for review" answer
    screenshot(page, "desk-held-mail")
    page.get_by_role("button", name="Add the sender to Acme Antwerp and attach").click()

    expect(
        page.get_by_text(
            f"piet@acme.example is now a contact of Acme Antwerp; the mail is on {ticket.ref} "
            "as the client's."
        )
    ).to_be_visible()
    expect(page.get_by_role("link", name="Held mail: 1 waiting for review")).to_be_visible()
    page.get_by_role("link", name=ticket.ref, exact=True).click()
    expect(
        page.get_by_role("article", name=re.compile("From the client: Mail")).filter(
            has_text="piet@acme.example"
        )
    ).to_contain_text(PIETS_REPLY)
    expect(page.get_by_role("region", name="History")).to_contain_text(
        "from piet@acme.example: piet@acme.example added to Acme Antwerp"
    )
    assert problems == []

    assert held.waiting() == 1
    row = InboundMail.objects.get(from_address="piet@acme.example")
    assert "alice: added piet@acme.example to Acme Antwerp" in row.reason
    (answer,) = OutboundMail.objects.filter(
        purpose=held.ANSWER_PURPOSE, primary_to="piet@acme.example"
    )
    assert answer.subject.startswith("Uw mail wacht op nazicht")
