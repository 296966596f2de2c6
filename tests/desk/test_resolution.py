"""The desk's resolve and close forms: what the agent writes for the client, what stays in the
history, the client's mail shown before it is sent, and reopening a resolved ticket."""

from __future__ import annotations

import pytest

from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.models import EventKind, MessageKind, Status, Ticket
from tests.desk.conftest import MONDAY_10, open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def ticket(people):
    return open_ticket(people, 2, "[Sev 2] Export fails")


def post(client, ticket, action, **data):
    return client.post(f"/desk/ticket/{ticket.ref}/{action}/", data)


def preview(client, ticket, action, **query):
    response = client.get(f"/desk/ticket/{ticket.ref}/preview/{action}/", query)
    assert response.status_code == 200
    return response.content.decode()


def page(client, ticket):
    response = client.get(f"/desk/ticket/{ticket.ref}/")
    assert response.status_code == 200
    return response.content.decode()


def test_mark_resolved_mails_the_resolution(agent, people, ticket):
    actions.reply(ticket, "We restarted the export service.", by=actions.Actor.staff(people.agent))

    response = post(agent, ticket, "resolve", resolution="De export draait weer.")

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    mail = OutboundMail.objects.get(purpose="resolved")
    assert mail.subject.startswith(f"Opgelost: [{ticket.ref}]")  # Claire reads Dutch
    assert "De export draait weer." in mail.text
    html = agent.get(response["Location"]).content.decode()
    assert "Marked resolved; the resolution is mailed to Claire@Acme.example." in html
    assert "To the client: Resolution" in html


def test_resolving_without_a_public_reply_is_refused_on_the_page(agent, ticket):
    response = post(agent, ticket, "resolve", resolution="Fixed.")

    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert f"{ticket.ref} has had no public reply: answer the client" in html
    assert "<details open><summary>Mark resolved</summary>" in html  # the form stays open
    assert not OutboundMail.objects.filter(purpose="resolved").exists()


def test_resolving_needs_the_text(agent, people, ticket):
    actions.reply(ticket, "Looking.", by=actions.Actor.staff(people.agent))
    response = post(agent, ticket, "resolve", resolution="")
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()


def test_the_resolution_mail_is_shown_before_it_is_sent(agent, people):
    ticket = open_ticket(people, 2, "[Sev 2] <img src=x onerror=alert(1)> Export fails")
    html = preview(agent, ticket, "resolve", resolution="De <export> draait weer.")

    assert "Not sent yet. To Claire@Acme.example, in Nederlands:" in html
    assert f"Opgelost: [{ticket.ref}] [Sev 2] &lt;img src=x" in html
    # The mail is text: what the client and the agent typed is escaped on the page.
    assert "<img" not in html and "<export>" not in html
    assert "De &lt;export&gt; draait weer." in html
    assert "uw antwoord heropent het ticket" in html
    assert "Write the resolution" in preview(agent, ticket, "resolve", resolution=" ")
    assert set(OutboundMail.objects.values_list("purpose", flat=True)) == {"escalation"}  # staff
    assert not ticket.events.exclude(kind__in=(EventKind.CREATED, EventKind.ESCALATED)).exists()


def test_the_close_form_keeps_the_note_and_the_text_for_the_client_apart(agent, ticket):
    html = page(agent, ticket)
    assert "Note for the history (the client never sees it)" in html
    assert "Text for the client (added to the out-of-scope mail)" in html

    response = post(
        agent,
        ticket,
        "close",
        reason="out_of_scope",
        note="Asked for catering again.",
        client_text="We ondersteunen de toepassing, niet de catering.",
    )

    assert response.status_code == 302
    mail = OutboundMail.objects.get(purpose="closed_out_of_scope")
    assert "niet de catering" in mail.text and "Asked for catering" not in mail.text
    html = page(agent, ticket)
    history = html[html.index('id="history-title"') :]
    assert "Closed (Out of scope): Asked for catering again." in history
    closure = ticket.messages.get(kind=MessageKind.CLOSURE)
    assert "Asked for catering" not in closure.text


def test_the_out_of_scope_mail_is_shown_before_it_is_sent(agent, ticket):
    html = preview(
        agent, ticket, "close", reason="out_of_scope", client_text="Niet de catering.", note="x"
    )

    assert f"Buiten onze support: [{ticket.ref}]" in html
    assert "buiten het toepassingsgebied" in html and "Niet de catering." in html
    assert "sends the client no mail" in preview(agent, ticket, "close", reason="solved")
    assert "Choose a reason" in preview(agent, ticket, "close", reason="")
    assert agent.get(f"/desk/ticket/{ticket.ref}/preview/reply/").status_code == 404
    assert set(OutboundMail.objects.values_list("purpose", flat=True)) == {"escalation"}  # staff
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


def test_the_forms_ask_for_the_preview_by_htmx_without_the_csrf_token(agent, ticket):
    html = page(agent, ticket)
    for action, fields in (
        ("resolve", "#id_resolve_resolution"),
        ("close", "#id_close_reason, #id_close_client_text"),
    ):
        assert f'hx-get="/desk/ticket/{ticket.ref}/preview/{action}/"' in html
        assert f'hx-include="{fields}"' in html


def test_a_resolved_ticket_can_be_reopened_or_closed_from_the_desk(agent, people, ticket):
    actions.reply(ticket, "Looking.", by=actions.Actor.staff(people.agent))
    actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))
    html = page(agent, ticket)
    assert "Reopen ticket" in html and "Close ticket" in html
    assert "Mark resolved</summary>" not in html

    assert post(agent, ticket, "reopen", reason="The export failed again").status_code == 302

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.events.get(kind=EventKind.REOPENED).data["was"] == Status.RESOLVED
