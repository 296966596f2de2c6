"""The desk is for staff only, changes only on a POST with a CSRF token, and trusts no mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from deskside.desk.models import Presence
from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.tickets.actions import NewFile
from deskside.tickets.models import Event, Message, Ticket
from tests.desk.conftest import MONDAY_10, open_ticket

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "mail" / "fixtures"


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def ticket(people):
    return open_ticket(people, 2, files=(NewFile("log.txt", "text/plain", b"log"),))


def desk_urls(ticket):
    attachment = ticket.messages.get().attachments.get()
    return [
        "/desk/",
        "/desk/?level=1",
        "/desk/search/?q=export",
        f"/desk/ticket/{ticket.ref}/",
        f"/desk/ticket/{ticket.ref}/preview/close/?reason=out_of_scope",
        f"/desk/file/{attachment.stored_name}/",
    ]


def test_signing_in_lands_on_the_queue_or_where_the_agent_was_going(people):
    """Without ?next=, Django would send the agent to /accounts/profile/, a 404."""
    browser = Client()
    signed_in = browser.post("/desk/login/", {"username": "alice", "password": "pw-alice"})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/desk/")
    assert browser.get("/desk/").status_code == 200

    elsewhere = Client().post(
        "/desk/login/?next=/desk/search/%3Fq%3Dexport",
        {"username": "alice", "password": "pw-alice"},
    )
    assert elsewhere["Location"] == "/desk/search/?q=export"
    offsite = Client().post(
        "/desk/login/?next=https://evil.example/", {"username": "alice", "password": "pw-alice"}
    )
    assert offsite["Location"] == "/desk/"


def test_anonymous_visitors_are_sent_to_sign_in(client, ticket):
    for url in desk_urls(ticket):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/desk/login/?next="), url
    response = client.post(f"/desk/ticket/{ticket.ref}/close/", {"reason": "solved"})
    assert response["Location"].startswith("/desk/login/")
    ticket.refresh_from_db()
    assert ticket.is_open()


def test_a_client_with_an_account_gets_404_everywhere(client, people, ticket):
    user = User.objects.create_user("claire", "Claire@Acme.example", "pw")
    people.client.user = user
    people.client.save()
    client.force_login(user)

    for url in desk_urls(ticket):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/desk/ticket/{ticket.ref}/note/", {"text": "hi"}).status_code == 404
    assert client.post(f"/desk/ticket/{ticket.ref}/presence/").status_code == 404
    assert not ticket.messages.filter(text="hi").exists()


def test_get_never_changes_anything(agent, ticket):
    events, messages = Event.objects.count(), Message.objects.count()
    for action in (
        "reply",
        "note",
        "milestone",
        "reassess",
        "assign",
        "take",
        "close",
        "reopen",
        "resolve",
        "wait",
        "presence",
    ):
        assert agent.get(f"/desk/ticket/{ticket.ref}/{action}/").status_code == 405, action
    agent.get(f"/desk/ticket/{ticket.ref}/")
    assert (Event.objects.count(), Message.objects.count()) == (events, messages)
    assert not Presence.objects.exists()  # only the page's POSTed heartbeat records presence
    assert agent.get("/desk/logout/").status_code == 405


def test_unknown_action_is_404(agent, ticket):
    assert agent.post(f"/desk/ticket/{ticket.ref}/delete/").status_code == 404


def test_posts_need_the_csrf_token(people, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.agent)

    for action, data in (("close", {"reason": "solved"}), ("note", {"text": "x"})):
        assert client.post(f"/desk/ticket/{ticket.ref}/{action}/", data).status_code == 403
    assert client.post(f"/desk/ticket/{ticket.ref}/presence/").status_code == 403
    ticket.refresh_from_db()
    assert ticket.is_open()
    assert ticket.messages.count() == 1


def test_pages_forbid_framing_and_inline_script(agent, ticket):
    response = agent.get(f"/desk/ticket/{ticket.ref}/")
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_hostile_mail_html_is_shown_without_its_scripts(agent, people):
    raw = (FIXTURES / "xss.eml").read_bytes()
    ingest(raw, door=Door.PIPE, received_at=MONDAY_10)
    ticket = Ticket.objects.get(subject__contains="pretty mail")

    html = agent.get(f"/desk/ticket/{ticket.ref}/").content.decode().lower()

    assert "hello <b>team</b>" in html
    conversation = html[html.index('id="conversation-title"') : html.index('id="clocks-title"')]
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<form action="):
        assert bad not in conversation, bad


def test_a_role_taken_away_counts_at_the_next_request(agent, people):
    assert agent.get("/desk/").status_code == 200

    people.agent.groups.clear()

    assert agent.get("/desk/").status_code == 404
