"""The desk by keyboard: `?` lists the page's shortcuts, r/n/a move to the ticket's fields, keys
never fire while typing; taking a colleague's ticket asks first."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import Ticket
from tests.browser.test_desk import sign_in
from tests.desk.conftest import open_ticket
from tests.people import People, make_people

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_on_ticket(page: Page, base: str) -> tuple[People, Ticket]:
    people = make_people()
    ticket = open_ticket(people, 3, "[Sev 3] Printer offline")
    sign_in(page, base, "alice")
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")
    expect(page.get_by_role("heading", name="Printer offline")).to_be_visible()
    page.wait_for_load_state()
    return people, ticket


def test_question_mark_lists_the_keys_and_escape_closes(live_server, page: Page) -> None:
    make_people()
    sign_in(page, live_server.url, "alice")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help).to_be_hidden()
    page.keyboard.press("?")
    expect(help).to_be_visible()
    for key in ("j", "k", "Enter", "/", "?"):
        expect(help.locator("kbd", has_text=key).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(help).to_be_hidden()


def test_ticket_keys_focus_the_reply_note_and_assign(live_server, page: Page) -> None:
    signed_in_on_ticket(page, live_server.url)
    page.keyboard.press("?")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    for key in ("r", "n", "a"):
        expect(help.locator("kbd", has_text=key).first).to_be_visible()
    page.keyboard.press("Escape")
    expect(help).to_be_hidden()

    page.keyboard.press("r")
    expect(page.get_by_label("Reply, sent by mail in")).to_be_focused()
    page.locator("main").click(position={"x": 1, "y": 1})
    page.keyboard.press("n")
    expect(page.get_by_label("Note for the team")).to_be_focused()
    page.locator("main").click(position={"x": 1, "y": 1})
    page.keyboard.press("a")
    expect(page.locator("#id_assign_assignee")).to_be_focused()


def test_j_and_k_on_a_ticket_follow_the_queue(live_server, page: Page) -> None:
    people = make_people()
    for subject in ("Printer offline", "Mail bounces", "VPN drops"):
        open_ticket(people, 3, f"[Sev 3] {subject}")
    sign_in(page, live_server.url, "alice")
    order = [
        href
        for row in page.locator("table[data-queue] tr[data-href]").all()
        if (href := row.get_attribute("data-href"))
    ]
    assert len(order) == 3
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(order[0]) + "$"))
    page.wait_for_load_state()
    page.keyboard.press("?")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help).to_contain_text("next / previous ticket")
    page.keyboard.press("Escape")
    expect(help).to_be_hidden()
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(re.escape(order[1]) + "$"))
    page.wait_for_load_state()
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(re.escape(order[0]) + "$"))
    page.wait_for_load_state()
    page.keyboard.press("k")  # the first of the queue: nothing before it
    page.keyboard.press("?")
    expect(help).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(order[0]) + "$"))


def test_keys_do_nothing_while_typing(live_server, page: Page) -> None:
    signed_in_on_ticket(page, live_server.url)
    search = page.get_by_label("Search tickets")
    search.click()
    page.keyboard.type("r?")
    expect(search).to_have_value("r?")
    expect(search).to_be_focused()
    expect(page.get_by_label("Reply, sent by mail in")).not_to_be_focused()
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()


def test_taking_a_colleagues_ticket_asks_first(live_server, page: Page) -> None:
    people, ticket = signed_in_on_ticket(page, live_server.url)
    actions.assign(ticket, people.second_agent, by=Actor.staff(people.second_agent))
    page.reload()
    assignee = page.locator(".facts div", has_text="Assignee")

    page.get_by_role("button", name="Take it").click()
    question = page.get_by_role("alert").filter(has_text="Bob has this ticket.")
    expect(question).to_contain_text("Take it from them?")
    question.get_by_role("link", name="Cancel").click()
    expect(question).to_be_hidden()
    expect(assignee).to_contain_text("Bob")
    ticket.refresh_from_db()
    assert ticket.assignee == people.second_agent

    page.get_by_role("button", name="Take it").click()
    question.get_by_role("button", name="Take it").click()
    expect(page.get_by_text("You took this ticket.")).to_be_visible()
    expect(assignee).to_contain_text("Alice")
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent


def test_taking_asks_first_without_javascript(live_server, browser: Browser) -> None:
    people = make_people()
    ticket = open_ticket(people, 3, "[Sev 3] Printer offline")
    actions.assign(ticket, people.second_agent, by=Actor.staff(people.second_agent))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/desk/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")
    page.get_by_role("button", name="Take it").click()
    question = page.get_by_role("alert").filter(has_text="Bob has this ticket.")
    expect(question).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.assignee == people.second_agent
    question.get_by_role("button", name="Take it").click()
    expect(page.get_by_text("You took this ticket.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent
    context.close()
