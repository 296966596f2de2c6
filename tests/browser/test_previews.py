"""Attachments shown in the thread, in real Chromium: the image is drawn under the strict CSP,
the log opens as text, and nothing of either runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from deskside.tickets.actions import NewFile
from tests.browser.test_desk import sign_in
from tests.desk.conftest import open_ticket
from tests.desk.test_previews import LOG, PDF, png
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_agent_sees_the_screenshot_and_reads_the_log_in_the_page(live_server, page: Page):
    people = make_people()
    files = (
        NewFile("screen.png", "image/png", png(40, 20)),
        NewFile("export.log", "application/octet-stream", LOG),
        NewFile("manual.pdf", "application/pdf", PDF),
    )
    ticket = open_ticket(people, 2, files=files)
    problems: list[str] = []  # script errors and CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/desk/ticket/{ticket.ref}/")

    image = page.get_by_role("img", name="screen.png, an attached image (opens it whole)")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40  # decoded, drawn
    log = page.get_by_text("ERROR export failed: <script>alert(1)</script>")
    expect(log).to_be_hidden()
    page.get_by_text("Show the text").click()
    expect(log).to_be_visible()
    pdf = page.get_by_role("link", name="Read it in the browser (manual.pdf, a new tab)")
    expect(pdf).to_have_attribute("target", "_blank")
    assert problems == []
