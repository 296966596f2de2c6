"""The desk in real Chromium: a mail arrives, an agent finds it in the queue, answers it, and the
client receives the answer; the queue works by keyboard and at a phone's width."""

from __future__ import annotations

import email
import re
import socket
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.outbox.send import deliver_due
from deskside.tickets.models import Ticket
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)

REPLY = "Goedemiddag Claire, de export werkt weer. Kunt u het opnieuw proberen?"


class Inbox:
    """An SMTP sink standing in for Claire's mail server."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"

    def mail(self, to: str, message_id: str) -> email.message.EmailMessage:
        """The mail to `to` with this Message-ID (without its angle brackets)."""
        delivered = (
            email.message_from_bytes(bytes(e.original_content or b""), policy=policy.default)
            for e in self.received
            if to in e.rcpt_tos
        )
        found = next(m for m in delivered if m["Message-ID"] == f"<{message_id}>")
        assert isinstance(found, email.message.EmailMessage)
        return found


@pytest.fixture
def claires_inbox(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield inbox
    controller.stop()


def mail_from_claire() -> bytes:
    mail = EmailMessage()
    mail["From"] = "Claire Peeters <Claire@Acme.example>"
    mail["To"] = "support@deskside.test"
    mail["Subject"] = "Sev 2 - Export naar Excel faalt"
    mail["Message-ID"] = "<export-1@acme.example>"
    mail.set_content("Hallo,\n\nDe export naar Excel faalt sinds vanochtend.\n\nClaire")
    return mail.as_bytes()


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/desk/")
    expect(page.get_by_role("heading", name="Sign in to the desk")).to_be_visible()
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    page.wait_for_load_state()  # desk.js is deferred: its keys work once the page has loaded


def test_a_mail_arrives_an_agent_answers_and_the_client_receives_it(
    live_server, page: Page, browser: Browser, screenshot, claires_inbox
):
    people = make_people()
    base = live_server.url
    now = timezone.now()
    critical = open_ticket(
        people, 1, "[Sev 1] Payroll is down", contact=people.other_client, received_at=now
    )
    open_ticket(
        people, 4, "[Sev 4] How do I add a user?", contact=people.colleague, received_at=now
    )
    result = ingest(mail_from_claire(), door=Door.PIPE)
    assert result.outcome == "created"
    ticket = Ticket.objects.get(subject="Sev 2 - Export naar Excel faalt")

    problems: list[str] = []  # script errors and CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(f"{m.text} {m.location['url']}"))
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, base, "alice")
    row = page.get_by_role("row").filter(has_text="Export naar Excel faalt")
    expect(row.get_by_role("link", name=ticket.ref)).to_be_visible()
    expect(row).to_contain_text("Claire Peeters")
    expect(row).to_contain_text("Acme Antwerp")
    expect(page.get_by_role("link", name=re.compile(r"Level 2\s+1"))).to_be_visible()
    screenshot(page, "desk-queue")

    # The keyboard: j selects the first row (the level-1 ticket), Enter opens it.
    page.keyboard.press("j")
    expect(page.locator("tr.selected")).to_contain_text(critical.ref)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="[Sev 1] Payroll is down")).to_be_visible()
    page.wait_for_load_state()  # the new page's deferred desk.js listens for the keys
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search tickets")).to_be_focused()

    page.go_back()
    row.get_by_role("link", name=ticket.ref).click()  # the banner of untaken tickets links too
    expect(page.get_by_role("heading", name="Sev 2 - Export naar Excel faalt")).to_be_visible()
    conversation = page.get_by_role("article", name=re.compile("From the client: Mail"))
    expect(conversation).to_contain_text("De export naar Excel faalt sinds vanochtend.")
    expect(page.get_by_role("heading", name="Clocks")).to_be_visible()
    expect(page.get_by_text(re.compile("first response within 2 business hours"))).to_be_visible()

    # Bob opens the same ticket while Alice is writing: he is told so.
    reply_box = page.get_by_label("Reply, sent by mail in Nederlands")
    reply_box.click()
    bob = browser.new_page()
    sign_in(bob, base, "bob")
    bob.goto(f"{base}/desk/ticket/{ticket.ref}/")
    expect(bob.get_by_text("Alice is writing a reply")).to_be_visible()
    bob.close()

    reply_box.fill(REPLY)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to Claire@Acme.example.")).to_be_visible()
    expect(
        page.get_by_role("article", name=re.compile("To the client: Agent reply"))
    ).to_contain_text(REPLY)
    expect(page.locator(".facts")).to_contain_text("Open")
    screenshot(page, "desk-ticket")
    assert problems == []  # the favicon too: the site has one

    reply = OutboundMail.objects.get(purpose="reply")
    assert reply.to == ["Claire@Acme.example"]
    assert REPLY in reply.text
    assert deliver_due() >= 1
    reply.refresh_from_db()
    assert reply.status == OutboundStatus.SENT
    answer = claires_inbox.mail("Claire@Acme.example", reply.message_id)
    assert ticket.ref in str(answer["Subject"])
    body = answer.get_body(("plain",))
    assert body is not None
    assert REPLY in body.get_content()


def test_the_queue_at_a_phones_width(live_server, page: Page, screenshot):
    people = make_people()
    ticket = open_ticket(people, 2, "[Sev 2] Export fails on Mondays", received_at=timezone.now())
    page.set_viewport_size({"width": 390, "height": 844})

    sign_in(page, live_server.url, "alice")

    row = page.get_by_role("row").filter(has_text="Export fails on Mondays")
    expect(row.get_by_role("link", name=ticket.ref)).to_be_visible()
    expect(row.get_by_text("[Sev 2] Export fails on Mondays")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Assignee")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "desk-queue-phone")
