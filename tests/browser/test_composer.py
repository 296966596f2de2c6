"""The ticket's composer in real Chromium: tabs by mouse, by keyboard and without JavaScript; a
draft saved as one types that survives a reload and goes when the message is sent; the page
stays where it was after sending; leaving with text not yet saved is said."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from deskside.desk.models import Draft
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import Ticket
from tests.browser.test_axe import violations
from tests.browser.test_desk import sign_in
from tests.desk.conftest import open_ticket
from tests.people import People, make_people

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "The printer on the second floor prints blank pages after the update. " * 12


def long_ticket() -> tuple[People, Ticket]:
    """A ticket whose conversation is longer than the screen, so that the page scrolls."""
    people = make_people()
    ticket = open_ticket(people, 3, "[Sev 3] Printer offline", text=LONG)
    for n in range(5):
        actions.add_note(ticket, f"Looked at it, round {n}. {LONG}", by=Actor.staff(people.agent))
    return people, ticket


@pytest.fixture(autouse=True)
def _no_presence_beats(request: pytest.FixtureRequest) -> None:
    """The ticket page's presence beat (every few seconds) is answered here, not by the server.
    The test database, SQLite in memory, is one connection shared by the live server's threads:
    a beat arriving while a draft is saved fails there ("cannot open savepoint - SQL statements
    in progress"), as it never does on a real database. Presence has tests of its own
    (tests/browser/test_desk.py, tests/desk)."""
    if "page" in request.fixturenames:
        page: Page = request.getfixturevalue("page")
        page.route("**/presence/", lambda route: route.fulfill(status=204, body=""))


def settled(page: Page) -> None:
    """The page loaded and its first presence beat answered. The test database (SQLite in
    memory, shared) refuses a second writer at once ("database table is locked") where a
    real one waits: a send beside the beat would fail in the test only."""
    page.wait_for_load_state("networkidle")


def on_note_tab(page: Page, base: str) -> None:
    """Alice on a short ticket's page, the composer open on the Internal note tab."""
    ticket = open_ticket(make_people(), 3, "[Sev 3] Printer offline")
    sign_in(page, base, "alice")
    page.goto(f"{base}/desk/ticket/{ticket.ref}/?compose=note")
    settled(page)


def composer_tab(page: Page, name: str):
    return page.get_by_role("tablist").get_by_role("tab", name=re.compile(f"^{name}"))


def test_a_draft_survives_a_reload_and_goes_when_sent(live_server, page: Page) -> None:
    _people, ticket = long_ticket()
    problems: list[str] = []  # script errors and CSP violations are logged as console errors
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/desk/ticket/{ticket.ref}/")
    settled(page)

    page.keyboard.press("r")
    reply_box = page.get_by_label("Reply, sent by mail in")
    expect(reply_box).to_be_focused()
    page.keyboard.type("Dear Claire, the printer is back.")
    expect(page.get_by_text(re.compile(r"Draft saved at \d\d:\d\d\."))).to_be_visible()
    assert Draft.objects.get().text == "Dear Claire, the printer is back."

    page.reload()
    settled(page)
    expect(reply_box).to_have_value("Dear Claire, the printer is back.")
    expect(composer_tab(page, "Reply")).to_contain_text("draft")
    page.get_by_role("link", name="Queue").click()  # and a visit to the queue, which marks it
    row = page.get_by_role("row").filter(has_text="Printer offline")
    expect(row).to_contain_text("draft")
    row.get_by_role("link", name=ticket.ref).click()
    settled(page)
    expect(reply_box).to_have_value("Dear Claire, the printer is back.")

    # Sent from far down the page: the page stays there, the new message just above the box.
    reply_box.scroll_into_view_if_needed()
    before = page.locator("#composer").bounding_box()
    scrolled = page.evaluate("window.scrollY")
    assert before is not None and scrolled > 300
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to")).to_be_visible()
    sent = page.get_by_role("article", name=re.compile("To the client")).last
    expect(sent).to_contain_text("Dear Claire, the printer is back.")
    expect(reply_box).to_have_value("")
    after = page.locator("#composer").bounding_box()
    assert after is not None and abs(after["y"] - before["y"]) < 5, (before, after)
    assert page.evaluate("window.scrollY") > scrolled  # moved down by the new message
    assert sent.bounding_box()["y"] > 0  # type: ignore[index]  # on screen, above the box
    assert not Draft.objects.exists()

    settled(page)
    page.reload()
    expect(reply_box).to_have_value("")
    expect(composer_tab(page, "Reply")).not_to_contain_text("draft")
    assert problems == []


def test_a_refused_send_shows_why_where_it_was_sent(live_server, page: Page) -> None:
    _people, ticket = long_ticket()
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/desk/ticket/{ticket.ref}/?compose=propose")
    settled(page)
    steps = page.get_by_label("Steps for the client")
    steps.fill("   ")  # passes the browser's "required", not the protocol
    steps.scroll_into_view_if_needed()
    before = page.locator("#composer").bounding_box()

    page.get_by_role("button", name="Propose steps").click()
    expect(page.get_by_role("alert")).to_contain_text("Not done.")
    expect(composer_tab(page, "Propose steps")).to_have_attribute("aria-selected", "true")
    # Said in the composer too: the alert at the top of the page is off the screen.
    expect(page.locator("#compose-propose .errorlist")).to_contain_text(
        "Proposed steps need some text"
    )
    after = page.locator("#composer").bounding_box()
    assert before and after and abs(after["y"] - before["y"]) < 5, (before, after)


def test_the_tabs_by_keyboard_keep_what_each_holds(live_server, page: Page, screenshot) -> None:
    people = make_people()
    ticket = open_ticket(people, 3, "[Sev 3] Printer offline", text=LONG)
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/desk/ticket/{ticket.ref}/")
    settled(page)
    reply, propose, note = (composer_tab(page, n) for n in ("Reply", "Propose steps", "Internal"))
    page.get_by_label("Reply, sent by mail in").fill("Half a reply")
    expect(page.get_by_text(re.compile(r"Draft saved at"))).to_be_visible()

    reply.focus()
    page.keyboard.press("ArrowRight")
    expect(propose).to_be_focused()
    expect(propose).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Steps for the client")).to_be_visible()
    expect(page.get_by_label("Reply, sent by mail in")).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(note).to_be_focused()
    expect(page.get_by_label("Note for the team")).to_be_visible()
    page.keyboard.press("ArrowRight")  # round to the first
    expect(reply).to_be_focused()
    page.keyboard.press("End")
    expect(note).to_be_focused()
    # One stop in the tab order: Tab leaves the tab list for the open panel.
    page.keyboard.press("Tab")
    expect(page.get_by_label("Note for the team")).to_be_focused()

    page.locator("main").click(position={"x": 1, "y": 1})
    page.keyboard.press("r")  # the shortcut opens the Reply tab, with the text still in it
    expect(page.get_by_label("Reply, sent by mail in")).to_be_focused()
    expect(page.get_by_label("Reply, sent by mail in")).to_have_value("Half a reply")
    expect(reply).to_have_attribute("aria-selected", "true")
    expect(note).to_have_attribute("aria-selected", "false")
    screenshot(page, "desk-composer")
    assert violations(page) == []
    note.click()
    assert violations(page) == []


def test_leaving_with_text_not_yet_saved_is_said(live_server, page: Page) -> None:
    on_note_tab(page, live_server.url)
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.type)
        dialog.accept()  # leave all the same

    page.on("dialog", answer)

    page.get_by_label("Note for the team").press_sequentially("Cable")
    page.get_by_role("link", name="Queue").click()  # before the pause that saves it
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    assert asked == ["beforeunload"]


def test_another_action_on_the_page_keeps_what_was_typed(live_server, page: Page) -> None:
    on_note_tab(page, live_server.url)

    page.get_by_label("Note for the team").fill("Cable checked")
    page.get_by_role("button", name="Take it").click()  # at once: the draft is saved first
    expect(page.get_by_text("You took this ticket.")).to_be_visible()
    expect(page.get_by_label("Note for the team")).to_have_value("Cable checked")
    expect(composer_tab(page, "Internal note")).to_contain_text("draft")


def test_the_tabs_work_without_javascript(live_server, browser: Browser) -> None:
    _people, ticket = long_ticket()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/desk/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")
    expect(page.get_by_label("Reply, sent by mail in")).to_be_visible()
    expect(page.get_by_label("Note for the team")).to_be_hidden()

    composer_tab(page, "Internal note").click()
    expect(page).to_have_url(re.compile(r"\?compose=note#composer$"))
    expect(page.get_by_label("Reply, sent by mail in")).to_be_hidden()
    page.get_by_label("Note for the team").fill("Checked the cable.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Internal note added.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?compose=note#composer$"))  # back at the composer
    expect(page.get_by_role("article").last).to_contain_text("Checked the cable.")
    expect(page.get_by_label("Note for the team")).to_have_value("")
    context.close()
