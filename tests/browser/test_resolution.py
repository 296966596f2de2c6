"""Resolving and closing in real Chromium, from the agent's click to what the client is sent:
the resolution mail in the client's language (shown before it goes), the resolved and closed
lists, reopening by the agent and by the client's answer, the out-of-scope close whose note
stays internal, search by the client's address and name, and signing in to the queue."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.models import EventKind, Status, Ticket
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db(transaction=True)

RESOLUTION = "De exportmap stond vol; we hebben ruimte gemaakt en de export draait weer."
NOTE = "Third catering request from Globex this month; told their account manager."
FOR_CLIENT = "Nous assurons le support de l'application, pas la commande des repas."


def sign_in(page: Page, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}])


def watch_for_errors(page: Page) -> list[str]:
    """Script errors and CSP violations (logged as console errors). A refused form answers 422
    by design: not a problem. (The favicon is no exception: the site has one.)"""
    problems: list[str] = []

    def console(message: ConsoleMessage) -> None:
        expected = "status of 422" in message.text
        if message.type == "error" and not expected:
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def action(page: Page, summary: str) -> Locator:
    """One of the ticket page's folded action forms, opened."""
    details = page.locator("details").filter(has=page.locator("summary", has_text=summary))
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def test_an_agent_resolves_the_client_is_told_and_their_answer_reopens_it(
    live_server, page: Page, screenshot
):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(people, 3, "[Sev 3] Export naar Excel faalt", received_at=timezone.now())
    problems = watch_for_errors(page)
    sign_in(page, base, people.agent)
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")

    # Nobody has answered Claire yet: resolving is refused, with the reason.
    resolve = action(page, "Mark resolved")
    resolve.get_by_label("Resolution for the client, mailed in Nederlands").fill(RESOLUTION)
    resolve.get_by_role("button", name="Mark resolved and mail the client").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"{ticket.ref} has had no public reply: answer the client"
    )

    page.get_by_label("Reply, sent by mail in Nederlands").fill("We kijken ernaar.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent to Claire@Acme.example.")).to_be_visible()

    # The agent reads the mail before it goes: in Dutch, with how to reopen.
    resolve = action(page, "Mark resolved")
    resolve.get_by_label("Resolution for the client, mailed in Nederlands").fill(RESOLUTION)
    resolve.get_by_role("button", name="Preview the client's mail").click()
    mail = resolve.get_by_role("region", name="Mail to the client")
    expect(mail).to_contain_text(f"Opgelost: [{ticket.ref}] [Sev 3] Export naar Excel faalt")
    expect(mail).to_contain_text(RESOLUTION)
    expect(mail).to_contain_text("uw antwoord heropent het ticket")
    assert not OutboundMail.objects.filter(purpose="resolved").exists()
    screenshot(page, "desk-resolve-preview")
    resolve.get_by_role("button", name="Mark resolved and mail the client").click()

    expect(page.get_by_text("Marked resolved; the resolution is mailed to")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Resolved")
    expect(
        page.get_by_role("article", name=re.compile("To the client: Resolution"))
    ).to_contain_text(RESOLUTION)
    sent = OutboundMail.objects.get(purpose="resolved")
    assert sent.to == ["Claire@Acme.example"]
    assert sent.subject == f"Opgelost: [{ticket.ref}] [Sev 3] Export naar Excel faalt"
    assert (
        RESOLUTION in sent.text and "Beantwoord deze mail of antwoord in het portaal" in sent.text
    )

    # The resolved list has it.
    page.goto(f"{base}/desk/")
    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("heading", name="Resolved tickets")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Export naar Excel faalt")).to_have_count(1)

    # Claire answers the resolution mail: the ticket is open again, in the queue.
    answer = (
        "From: Claire Peeters <Claire@Acme.example>\r\nTo: support@deskside.localhost\r\n"
        f"Subject: Re: {sent.subject}\r\nMessage-ID: <again@acme.example>\r\n"
        f"In-Reply-To: <{sent.message_id}>\r\n\r\nHet faalt opnieuw sinds vanochtend.\r\n"
    )
    assert ingest(answer.encode(), door=Door.PIPE).outcome == "appended"
    page.reload()
    expect(page.get_by_role("row").filter(has_text="Export naar Excel faalt")).to_have_count(0)
    page.goto(f"{base}/desk/")
    page.get_by_role("row").filter(has_text="Export naar Excel faalt").get_by_role(
        "link", name=ticket.ref
    ).click()
    expect(page.locator(".facts")).to_contain_text("Open")
    expect(page.get_by_text("Het faalt opnieuw sinds vanochtend.")).to_be_visible()
    assert problems == [], "\n".join(problems)


def test_an_agent_reopens_a_resolved_ticket_from_the_desk(live_server, page: Page):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(people, 2, "[Sev 2] Nightly import stops", received_at=timezone.now())
    actions.reply(ticket, "Fixed the import job.", by=actions.Actor.staff(people.agent))
    actions.resolve(ticket, "The import job runs again.", by=actions.Actor.staff(people.agent))
    sign_in(page, base, people.second_agent)

    page.goto(f"{base}/desk/?status=resolved")
    page.get_by_role("link", name=ticket.ref).click()
    reopen = action(page, "Reopen")
    reopen.get_by_label("Why reopen").fill("Claire phoned: it stopped again tonight")
    reopen.get_by_role("button", name="Reopen ticket").click()

    expect(page.get_by_text("Reopened.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("Open")
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Claire phoned: it stopped again tonight")
    expect(history).to_contain_text("(it was resolved)")
    page.goto(f"{base}/desk/")
    expect(page.get_by_role("link", name=ticket.ref).first).to_be_visible()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_out_of_scope_close_shows_the_clients_mail_and_keeps_the_note_internal(
    live_server, page: Page, screenshot
):
    people = make_people()
    base = live_server.url
    ticket = open_ticket(
        people,
        4,
        "Sev 4 please order lunch",
        contact=people.other_client,
        received_at=timezone.now(),
    )
    problems = watch_for_errors(page)
    sign_in(page, base, people.agent)
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")

    close = action(page, "Close")
    close.get_by_label("Reason").select_option(label="Out of scope")
    close.get_by_label("Note for the history (the client never sees it)").fill(NOTE)
    close.get_by_label("Text for the client (added to the out-of-scope mail)").fill(FOR_CLIENT)
    close.get_by_role("button", name="Preview the client's mail").click()
    mail = close.get_by_role("region", name="Mail to the client")
    expect(mail).to_contain_text(f"Hors de notre support: [{ticket.ref}]")  # Olivier reads French
    expect(mail).to_contain_text("hors du périmètre")
    expect(mail).to_contain_text(FOR_CLIENT)
    expect(mail).not_to_contain_text("account manager")
    screenshot(page, "desk-close-preview")
    close.get_by_role("button", name="Close ticket").click()

    expect(
        page.get_by_text("Closed: out of scope; olivier@globex.example is told why.")
    ).to_be_visible()
    notice = page.get_by_role("article", name=re.compile("To the client: Closing notice"))
    expect(notice).to_contain_text(FOR_CLIENT)
    expect(notice).not_to_contain_text("account manager")
    expect(page.get_by_role("region", name="History")).to_contain_text(NOTE)
    sent = OutboundMail.objects.get(purpose="closed_out_of_scope")
    assert sent.to == ["olivier@globex.example"]
    assert FOR_CLIENT in sent.text and "account manager" not in sent.text
    assert ticket.events.get(kind=EventKind.CLOSED).data["note"] == NOTE

    page.goto(f"{base}/desk/?status=closed")
    expect(page.get_by_role("heading", name="Closed tickets")).to_be_visible()
    expect(page.get_by_role("link", name=ticket.ref)).to_be_visible()
    assert problems == [], "\n".join(problems)


def test_search_finds_a_clients_tickets_by_address_and_name(live_server, page: Page):
    people = make_people()
    base = live_server.url
    claires = open_ticket(people, 3, "[Sev 3] Facturen kloppen niet", received_at=timezone.now())
    jans = open_ticket(
        people, 3, "[Sev 3] Login traag", contact=people.colleague, received_at=timezone.now()
    )
    sign_in(page, base, people.agent)
    page.goto(f"{base}/desk/")

    for query in ("claire@acme.example", "Claire Pee"):
        box = page.get_by_role("searchbox", name="Search tickets")
        box.fill(query)
        box.press("Enter")
        expect(page.get_by_role("heading", name="Search")).to_be_visible()
        expect(page.get_by_text("Client matching")).to_contain_text("Claire Peeters")
        expect(page.get_by_role("link", name=claires.ref)).to_be_visible()
        expect(page.get_by_role("link", name=jans.ref)).to_have_count(0)


def test_signing_in_without_a_destination_lands_on_the_queue(live_server, page: Page):
    make_people()
    page.goto(f"{live_server.url}/desk/login/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("pw-alice")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Queue")).to_be_visible()
    assert page.url == f"{live_server.url}/desk/"
