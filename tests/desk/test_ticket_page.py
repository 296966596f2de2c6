"""The ticket page: what an agent reads, and every action its forms take or refuse."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deskside.desk.forms import REPLY_FILES_MAX_BYTES
from deskside.desk.models import CannedReply, Presence
from deskside.mail.parse import parse
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import build
from deskside.tickets import actions
from deskside.tickets.actions import Actor, NewFile
from deskside.tickets.evidence import EVIDENCE_REASONS
from deskside.tickets.models import CloseReason, Direction, EventKind, MessageKind, Status
from tests.desk.conftest import MONDAY_10, open_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def ticket(people):
    return open_ticket(people, 2, "[Sev 2] Export fails")


def page(client, ticket):
    response = client.get(f"/desk/ticket/{ticket.ref}/")
    assert response.status_code == 200
    return response.content.decode()


def post(client, ticket, action, **data):
    return client.post(f"/desk/ticket/{ticket.ref}/{action}/", data)


def refused(response, sentence):
    """The form was refused and the page says why, in the action's own words."""
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert sentence in html, html[:3000]
    return html


def test_header_shows_severities_effort_status_and_explained_clocks(agent, people, ticket):
    actions.reassess(ticket, 1, reason="Production is down", by=Actor.staff(people.agent))

    html = page(agent, ticket)

    assert "<h1>[Sev 2] Export fails</h1>" in html
    assert 'title="Claimed level 2"' in html and 'title="Assessed level 1"' in html
    assert "<dt>Effort</dt><dd>Maximum</dd>" in html
    assert "<dt>Status</dt><dd>New</dd>" in html
    assert "First response</strong> due Mon 23 Nov 10:30" in html
    assert "first response within 30 business minutes" in html  # the clock's explanation
    assert "The export fails since this morning." in html
    assert "Reassessed from level 2 to level 1: Production is down" in html


def test_quoted_text_is_folded_and_mail_html_is_shown(agent, people):
    ticket = open_ticket(
        people,
        2,
        text="New error today.\n\n> On Friday you wrote:\n> old text",
        visible_text="New error today.",
        html="<p>New error <b>today</b>.</p><blockquote>old text</blockquote>",
    )
    html = page(agent, ticket)
    assert "<pre>New error today.</pre>" in html
    assert '<details class="quoted"><summary>Show the quoted text</summary>' in html
    assert "<b>today</b>" in html  # sanitised at intake, shown as mail


def test_a_reply_with_markup_reaches_the_client_as_text_in_both_parts(agent, people, ticket):
    post(agent, ticket, "reply", text="Use <b>Export</b> & retry.")
    mail = OutboundMail.objects.get(purpose="reply")
    assert "Use <b>Export</b> & retry." in mail.text
    assert "Use &lt;b&gt;Export&lt;/b&gt; &amp; retry." in mail.html


def test_plain_text_is_escaped(agent, people):
    ticket = open_ticket(people, 2, text="<script>alert(1)</script>")
    html = page(agent, ticket)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_reply_reaches_the_client_in_their_language(agent, people, ticket):
    response = post(agent, ticket, "reply", text="Please try the export again now.")

    assert response.status_code == 302
    mail = OutboundMail.objects.get(purpose="reply")
    assert mail.to == ["Claire@Acme.example"]
    assert "Please try the export again now." in mail.text
    assert "Beantwoord deze mail" in mail.text  # Claire reads Dutch
    html = page(agent, ticket)
    # Like every mail to a client: plain text and, as the HTML part, the same text escaped.
    assert "<p>" in mail.html and "Please try the export again now." in mail.html
    assert "Reply sent to Claire@Acme.example." in html
    assert "Please try the export again now." in html
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_without_text_is_refused(agent, ticket):
    html = refused(post(agent, ticket, "reply", text="   "), "A reply needs some text.")
    assert OutboundMail.objects.filter(purpose="reply").count() == 0
    assert 'id="id_reply_text"' in html


def test_reply_to_a_closed_ticket_is_refused_and_keeps_the_text(agent, people, ticket):
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))

    html = refused(
        post(agent, ticket, "reply", text="One more thing"),
        f"{ticket.ref} is closed: cannot reply.",
    )
    assert "One more thing" in html


def test_canned_reply_in_the_tickets_language(agent, ticket):
    CannedReply.objects.create(
        title="Need logs", text_en="Please send the logs.", text_nl="Stuur ons de logbestanden."
    )
    html = page(agent, ticket)
    assert 'data-canned-for="id_reply_text"' in html
    assert 'data-text="Stuur ons de logbestanden."' in html


def test_internal_note(agent, ticket):
    assert post(agent, ticket, "note", text="Customer is on the old version").status_code == 302
    note = ticket.messages.get(direction=Direction.INTERNAL)
    assert note.text == "Customer is on the old version"
    assert OutboundMail.objects.filter(purpose="reply").count() == 0
    assert 'class="message internal"' in page(agent, ticket)


def test_milestone(agent, ticket):
    assert post(agent, ticket, "milestone", milestone="workaround").status_code == 302
    ticket.refresh_from_db()
    assert ticket.milestone == "workaround"


def test_milestone_that_does_not_fit_the_level_is_refused(agent, people):
    ticket = open_ticket(people, 3)
    refused(
        post(agent, ticket, "milestone", milestone="workaround"),
        "Level 3 goals are met by solution, not by workaround.",
    )
    refused(post(agent, ticket, "milestone", milestone="party"), "Select a valid choice.")


def test_reassess(agent, ticket):
    assert post(agent, ticket, "reassess", level="4", reason="A how-to question").status_code == 302
    ticket.refresh_from_db()
    assert (ticket.claimed_severity, ticket.severity) == (2, 4)
    refused(
        post(agent, ticket, "reassess", level="4", reason="again"),
        f"{ticket.ref} is already at level 4.",
    )
    refused(post(agent, ticket, "reassess", level="3", reason=""), "This field is required.")


def test_take_and_assign(agent, people, ticket):
    assert post(agent, ticket, "take").status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == people.agent

    assert post(agent, ticket, "assign", assignee=people.second_agent.pk).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == people.second_agent
    assert "<dt>Assignee</dt><dd>Bob</dd>" in page(agent, ticket)

    refused(
        post(agent, ticket, "assign", assignee=people.second_agent.pk),
        f"{ticket.ref} is already assigned so.",
    )
    refused(post(agent, ticket, "assign", assignee=people.technician.pk), "Select a valid choice.")


# The cooperation reasons need evidence first: tests/desk/test_cooperation.py closes with them;
# a duplicate is closed by merging it (tests/desk/test_merge.py).
@pytest.mark.parametrize(
    "reason",
    [r for r in CloseReason.values if r not in EVIDENCE_REASONS and r != CloseReason.DUPLICATE],
)
def test_close_with_every_reason(agent, ticket, reason):
    assert post(agent, ticket, "close", reason=reason, note="per protocol").status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, reason)
    html = page(agent, ticket)
    assert f"({CloseReason(reason).label})" in html


def test_close_needs_a_reason_and_cannot_happen_twice(agent, people, ticket):
    refused(post(agent, ticket, "close", reason=""), "This field is required.")
    actions.close(ticket, CloseReason.OUT_OF_SCOPE, by=Actor.staff(people.agent))
    refused(post(agent, ticket, "close", reason="solved"), f"{ticket.ref} is already closed.")


def test_reopen(agent, people, ticket):
    refused(
        post(agent, ticket, "reopen", reason="Client wrote again"),
        f"{ticket.ref} is new: only a closed or resolved ticket can be reopened.",
    )
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    assert "Reopen ticket" in page(agent, ticket)

    assert post(agent, ticket, "reopen", reason="It came back").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_resolve_and_wait_on_client(agent, ticket):
    post(agent, ticket, "reply", text="Which version do you run?")
    assert post(agent, ticket, "wait", note="Send us the logs").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT
    assert "Paused while waiting on the client." in page(agent, ticket)
    refused(post(agent, ticket, "wait"), f"{ticket.ref} is already waiting on the client.")

    assert post(agent, ticket, "resolve", resolution="Fixed in 4.2.").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    refused(
        post(agent, ticket, "resolve", resolution="Again"),
        f"{ticket.ref} is resolved: cannot resolve it.",
    )


def test_history_lists_every_event(agent, ticket):
    post(agent, ticket, "take")
    post(agent, ticket, "note", text="Looking")
    html = page(agent, ticket)
    history = html[html.index('id="history-title"') :]
    for said in ("Opened at level", "Assigned to", "Internal note"):
        assert said in history
    assert ticket.events.filter(kind=EventKind.ASSIGNED).exists()


def test_technician_reads_but_cannot_change(client, people, ticket):
    client.force_login(people.technician)
    html = page(client, ticket)
    assert "Send reply" not in html
    response = post(client, ticket, "note", text="hi")
    assert response.status_code == 403
    assert "You can read tickets but not change them." in response.content.decode()
    assert not ticket.messages.filter(direction=Direction.INTERNAL).exists()


def test_attachment_is_a_download(agent, people):
    payload = b"<html><script>alert(1)</script></html>"
    ticket = open_ticket(people, 2, files=(NewFile("report.html", "text/html", payload),))
    attachment = ticket.messages.get().attachments.get()
    assert f'href="/desk/file/{attachment.stored_name}/"' in page(agent, ticket)

    response = agent.get(f"/desk/file/{attachment.stored_name}/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="report.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == attachment.sha256


def test_unknown_attachment_and_ticket_are_404(agent):
    assert agent.get("/desk/file/999999/").status_code == 404
    assert agent.get("/desk/ticket/CCS-999999/").status_code == 404
    assert agent.get("/desk/ticket/nonsense/").status_code == 404


def test_presence_says_who_else_is_viewing_or_writing(client, people, ticket, time_machine):
    bob = client.__class__()
    bob.force_login(people.second_agent)
    client.force_login(people.agent)

    response = bob.post(f"/desk/ticket/{ticket.ref}/presence/", {"writing": "false"})
    assert response.status_code == 200
    assert "Alice" not in response.content.decode()  # alice is not there yet
    assert "Bob is viewing" in page(client, ticket)

    bob.post(f"/desk/ticket/{ticket.ref}/presence/", {"writing": "true"})
    alice_sees = client.post(f"/desk/ticket/{ticket.ref}/presence/", {"writing": "false"})
    assert "Bob is writing a reply" in alice_sees.content.decode()
    assert "Alice is viewing" in bob.post(f"/desk/ticket/{ticket.ref}/presence/").content.decode()

    time_machine.move_to(MONDAY_10 + timedelta(seconds=45), tick=False)
    alice_sees = client.post(f"/desk/ticket/{ticket.ref}/presence/", {"writing": "false"})
    assert "Bob" not in alice_sees.content.decode()  # stale after 30 s
    assert Presence.objects.filter(ticket=ticket).count() == 2  # one row per person


# -- files with a reply -----------------------------------------------------------------------


def test_a_reply_carries_the_agents_files_to_the_client(agent, people, ticket):
    form = page(agent, ticket)
    assert 'enctype="multipart/form-data"' in form
    assert '<input type="file" name="attachments" multiple id="id_reply_attachments"' in form
    report = b"%PDF-1.7\n" + bytes(range(256)) * 40
    response = post(
        agent,
        ticket,
        "reply",
        text="The corrected report is attached.",
        attachments=[
            SimpleUploadedFile("rapport été.pdf", report, "application/pdf"),
            SimpleUploadedFile("steps.txt", "1. Öffnen\n2. Export\n".encode(), "text/plain"),
        ],
    )
    assert response.status_code == 302
    assert "Reply sent to Claire@Acme.example with 2 files." in page(agent, ticket)
    mail = OutboundMail.objects.get(purpose="reply")
    # Read back as our own intake would read the mail the client receives.
    received = parse(build(mail).message().as_bytes())
    assert [(a.filename, a.payload) for a in received.attachments] == [
        ("rapport été.pdf", report),
        ("steps.txt", "1. Öffnen\n2. Export\n".encode()),
    ]
    assert received.attachments[0].content_type == "application/pdf"
    assert "The corrected report is attached." in received.text
    reply = ticket.messages.get(kind=MessageKind.REPLY)
    assert sorted(reply.attachments.values_list("filename", flat=True)) == [
        "rapport été.pdf",
        "steps.txt",
    ]


def test_a_file_name_cannot_hide_its_extension(agent, ticket):
    post(
        agent,
        ticket,
        "reply",
        text="Invoice attached.",
        attachments=[SimpleUploadedFile("invoice\u202efdp.exe", b"MZ", "application/pdf")],
    )
    mail = OutboundMail.objects.get(purpose="reply")
    (attached,) = parse(build(mail).message().as_bytes()).attachments
    assert attached.filename == "invoicefdp.exe"


def test_files_over_the_limit_are_refused_and_nothing_is_sent(agent, ticket):
    too_big = b"x" * (REPLY_FILES_MAX_BYTES + 1)
    response = post(
        agent,
        ticket,
        "reply",
        text="Here is the dump.",
        attachments=[SimpleUploadedFile("dump.bin", too_big, "application/octet-stream")],
    )
    assert response.status_code == 422
    assert "Together the files are over the limit of 15.0\xa0MB." in response.content.decode()
    assert not OutboundMail.objects.filter(purpose="reply").exists()
    assert not ticket.messages.filter(kind=MessageKind.REPLY).exists()
