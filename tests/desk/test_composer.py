"""The ticket page's composer: one box with tabs Reply / Propose steps / Internal note, and a
draft per user, ticket and tab, saved on the server as the agent types."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from deskside.desk.models import Draft
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Ticket
from tests.desk.conftest import MONDAY_10, open_ticket
from tests.people import People

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def ticket(people: People) -> Ticket:
    return open_ticket(people, 3, "[Sev 3] Printer offline")


def page(client: Client, ticket: Ticket, query: str = "") -> str:
    response = client.get(f"/desk/ticket/{ticket.ref}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def save(client: Client, ticket: Ticket, kind: str, text: str):
    return client.post(f"/desk/ticket/{ticket.ref}/draft/{kind}/", {"text": text})


def tabs(html: str) -> dict[str, bool]:
    """The composer's tabs as a person finds them: label, and whether it is the open one."""
    found = re.findall(r'<a role="tab"[^>]*aria-selected="(true|false)">([^<]+)', html)
    return {label.strip(): selected == "true" for selected, label in found}


def panel_hidden(html: str, kind: str) -> bool:
    tag = re.search(rf'<div role="tabpanel" id="compose-{kind}"[^>]*>', html)
    assert tag, f"no {kind} panel"
    return " hidden" in tag.group(0)


def textarea(html: str, field_id: str) -> str:
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>\n?(.*?)</textarea>', html, re.S)
    assert found, f"no {field_id}"
    return found.group(1)


def test_one_composer_with_three_tabs_opens_on_reply(agent, ticket):
    html = page(agent, ticket)

    assert html.count('role="tablist"') == 1
    assert tabs(html) == {"Reply": True, "Propose steps": False, "Internal note": False}
    assert not panel_hidden(html, "reply")
    assert panel_hidden(html, "propose") and panel_hidden(html, "note")
    # Each tab is a link the server answers, so the tabs work without JavaScript.
    assert 'href="?compose=note#composer" aria-controls="compose-note"' in html
    assert html.count('action="/desk/ticket/') >= 3 and "Send reply" in html and "Add note" in html


def test_compose_in_the_address_opens_that_tab(agent, ticket):
    html = page(agent, ticket, "?compose=note")

    assert tabs(html) == {"Reply": False, "Propose steps": False, "Internal note": True}
    assert panel_hidden(html, "reply") and not panel_hidden(html, "note")
    assert tabs(page(agent, ticket, "?compose=nonsense"))["Reply"] is True


def test_a_closed_ticket_offers_only_the_note(agent, people, ticket):
    actions.close(ticket, CloseReason.DUPLICATE, by=Actor.staff(people.agent), note="twice")

    assert tabs(page(agent, ticket, "?compose=reply")) == {"Internal note": True}
    refused = save(agent, ticket, "reply", "Hello")
    assert refused.status_code == 409
    assert "only an internal note" in refused.content.decode()
    assert save(agent, ticket, "note", "For the record").status_code == 200


def test_a_draft_is_saved_as_typed_and_comes_back_on_the_page(agent, people, ticket):
    answer = save(agent, ticket, "reply", "Dear Claire,\nthe printer")

    assert answer.status_code == 200
    assert answer.content.decode() == "Draft saved at 10:00."
    html = page(agent, ticket)
    assert textarea(html, "id_reply_text") == "Dear Claire,\nthe printer"
    assert "Draft saved at 10:00." in html
    assert re.search(r'aria-selected="true">Reply <span class="draft-mark">draft</span>', html)
    draft = Draft.objects.get()
    assert (draft.user, draft.ticket, draft.kind) == (people.agent, ticket, "reply")


def test_each_tab_keeps_its_own_draft_and_the_last_written_opens(agent, ticket, time_machine):
    save(agent, ticket, "reply", "To the client")
    time_machine.shift(60)
    save(agent, ticket, "note", "For the team")

    html = page(agent, ticket)
    assert textarea(html, "id_reply_text") == "To the client"
    assert textarea(html, "id_note_text") == "For the team"
    assert textarea(html, "id_propose_steps") == ""
    assert tabs(html) == {"Reply": False, "Propose steps": False, "Internal note": True}
    save(agent, ticket, "reply", "To the client, again")
    assert Draft.objects.count() == 2


def test_an_emptied_box_deletes_its_draft(agent, ticket):
    save(agent, ticket, "propose", "1. Restart the printer")
    answer = save(agent, ticket, "propose", "  \n")

    assert answer.status_code == 200 and answer.content.decode() == ""
    assert not Draft.objects.exists()
    assert "draft-mark" not in page(agent, ticket)


def test_sending_deletes_that_tabs_draft_and_returns_to_the_composer(agent, ticket):
    save(agent, ticket, "reply", "The printer works again.")
    save(agent, ticket, "note", "Cable was loose")

    sent = agent.post(f"/desk/ticket/{ticket.ref}/reply/", {"text": "The printer works again."})

    assert sent.status_code == 302
    assert sent["Location"] == f"/desk/ticket/{ticket.ref}/?compose=reply#composer"
    assert list(Draft.objects.values_list("kind", flat=True)) == ["note"]
    html = page(agent, ticket, "?compose=reply")
    assert textarea(html, "id_reply_text") == ""
    assert textarea(html, "id_note_text") == "Cable was loose"


def test_a_refused_send_shows_its_tab_with_the_error_and_keeps_the_draft(agent, ticket):
    save(agent, ticket, "propose", "1. Restart")
    save(agent, ticket, "reply", "Hello")

    refused = agent.post(f"/desk/ticket/{ticket.ref}/propose/", {"steps": ""})

    assert refused.status_code == 422
    html = refused.content.decode()
    assert tabs(html)["Propose steps"] is True
    assert not panel_hidden(html, "propose") and panel_hidden(html, "reply")
    assert "This field is required." in html
    assert Draft.objects.count() == 2


def test_another_agent_never_sees_my_draft(agent, people, ticket):
    save(agent, ticket, "reply", "Alice's private words")

    bob = Client()
    bob.force_login(people.second_agent)
    html = page(bob, ticket)
    assert "Alice&#x27;s private words" not in html and "private words" not in html
    assert "draft-mark" not in html
    save(bob, ticket, "reply", "Bob's own")
    assert textarea(page(agent, ticket), "id_reply_text") == "Alice&#x27;s private words"
    assert Draft.objects.count() == 2


def test_a_technician_has_no_composer_and_cannot_draft(people, ticket):
    tom = Client()
    tom.force_login(people.technician)

    assert 'role="tablist"' not in page(tom, ticket)
    refused = save(tom, ticket, "note", "I was there")
    assert refused.status_code == 403
    assert not Draft.objects.exists()


def test_only_staff_reach_drafts_and_only_the_three_tabs_exist(agent, people, ticket):
    assert save(Client(), ticket, "reply", "x")["Location"].startswith("/desk/login/")
    assert save(agent, ticket, "milestone", "x").status_code == 404
    assert agent.get(f"/desk/ticket/{ticket.ref}/draft/reply/").status_code == 405
    assert save(agent, ticket, "reply", "x" * 100_001).status_code == 413
    assert not Draft.objects.exists()


def test_saving_a_draft_needs_the_csrf_token(people, ticket):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.agent)

    assert save(browser, ticket, "reply", "Hello").status_code == 403
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page(browser, ticket))
    assert token
    answer = browser.post(
        f"/desk/ticket/{ticket.ref}/draft/reply/",
        {"text": "Hello", "csrfmiddlewaretoken": token.group(1)},
    )
    assert answer.status_code == 200
    assert Draft.objects.get().text == "Hello"


def test_the_shortcuts_name_the_composers_boxes(agent, ticket):
    html = page(agent, ticket)

    assert 'data-key="r" data-focus="id_reply_text"' in html
    assert 'data-key="n" data-focus="id_note_text"' in html


def test_the_queue_marks_the_tickets_i_have_a_draft_on(agent, people, ticket):
    other = open_ticket(people, 3, "[Sev 3] Scanner jams")
    save(agent, ticket, "note", "Half a note")
    mark = '<span class="draft-mark">draft</span>'

    rows = agent.get("/desk/").content.decode().split("<tr data-href=")
    mine = next(row for row in rows if f"/desk/ticket/{ticket.ref}/" in row[:40])
    theirs = next(row for row in rows if f"/desk/ticket/{other.ref}/" in row[:40])
    assert mark in mine and mark not in theirs
    bob = Client()
    bob.force_login(people.second_agent)
    assert mark not in bob.get("/desk/").content.decode()
