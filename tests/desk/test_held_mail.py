"""Held mail in the desk: agents and leads see it and decide on it, technicians read it, nobody
else sees it, and nothing a held mail carries (markup, scripts, files) runs in the desk."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.contrib.auth.models import User
from django.test import Client

from deskside.accounts.models import Contact
from deskside.mail import held, rawstore
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.tickets.models import Direction, EventKind, MessageKind, Status, Ticket
from deskside.tickets.storage import file_key
from tests.desk.conftest import MONDAY_10, open_ticket

pytestmark = pytest.mark.django_db

PIET = "Piet Peeters <piet@acme.example>"  # Claire's colleague, not a contact


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def ticket(people):
    return open_ticket(people, 2)


def held_reply(
    ticket: Ticket,
    *,
    sender: str = PIET,
    subject: str = "",
    text: str = "Ook bij ons faalt de export.",
    html: str = "",
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> InboundMail:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject or f"Re: [{ticket.ref}] {ticket.subject}"
    msg["Message-ID"] = make_msgid(domain="acme.example")
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, payload in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    result = ingest(msg.as_bytes(), door=Door.PIPE)
    assert result.outcome == Outcome.QUARANTINED, result
    return InboundMail.objects.get(message_id=result.message_id or "")


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def nav_count(html: str) -> str:
    """What the navigation says beside Queue."""
    found = re.search(r'class="held-count"[^>]*>([^<]*)</a>', html)
    assert found, "no Held mail link in the navigation"
    return found.group(1)


def decide(client, mail: InboundMail, action: str, **data: str):
    return client.post(f"/desk/held/{mail.pk}/{action}/", data)


def test_an_agent_sees_who_wrote_what_and_why_it_is_held(agent, people, ticket):
    mail = held_reply(ticket)

    assert nav_count(page(agent, "/desk/")) == "Held mail (1)"
    listed = page(agent, "/desk/held/")
    assert "piet@acme.example" in listed and ticket.ref in listed
    assert f"unverified reply to {ticket.ref} from piet@acme.example" in listed
    shown = page(agent, f"/desk/held/{mail.pk}/")
    assert "Piet Peeters &lt;piet@acme.example&gt;" in shown and "Not a contact." in shown
    assert f'<a href="/desk/ticket/{ticket.ref}/">{ticket.ref}</a>' in shown
    assert "Claire Peeters, Acme Antwerp" in shown
    assert "Ook bij ons faalt de export." in shown
    assert "Add the sender to Acme Antwerp and attach" in shown
    assert f"Attach to {ticket.ref} as an internal note" in shown
    assert "Its subject gives level 2: the new ticket opens at that level." in shown


def test_adding_the_sender_files_the_reply_and_the_count_drops(agent, people, ticket):
    mail = held_reply(ticket)

    response = decide(agent, mail, "attach")

    assert response.status_code == 302 and response["Location"] == "/desk/held/"
    listed = page(agent, "/desk/held/")
    assert (
        f"piet@acme.example is now a contact of Acme Antwerp; the mail is on {ticket.ref} as the "
        "client&#x27;s." in listed
    )
    assert nav_count(listed) == "Held mail" and "No mail is held." in listed
    assert Contact.objects.get(email="piet@acme.example").organisation == people.acme
    reply = ticket.messages.get(sender="piet@acme.example")
    assert (reply.direction, reply.kind) == (Direction.INBOUND, MessageKind.MAIL)
    on_ticket = page(agent, f"/desk/ticket/{ticket.ref}/")
    assert "From the client</strong> · piet@acme.example" in on_ticket
    assert f"Held mail {mail.pk} from piet@acme.example: piet@acme.example added to" in on_ticket
    mail.refresh_from_db()
    assert (
        mail.status == InboundStatus.PROCESSED and "alice: added piet@acme.example" in mail.reason
    )
    decided = page(agent, f"/desk/held/{mail.pk}/")
    assert "alice: added piet@acme.example to Acme Antwerp; filed again" in decided
    assert "Decide" not in decided  # decided once, no forms any more


def test_attaching_as_an_internal_note(agent, people, ticket):
    mail = held_reply(ticket, files=(("trace.txt", "text/plain", b"E42"),))

    assert decide(agent, mail, "note").status_code == 302

    note = ticket.messages.get(direction=Direction.INTERNAL)
    assert "Ook bij ons faalt de export." in note.text
    assert note.attachments.get().filename == "trace.txt"
    assert held.waiting() == 0
    assert f"The mail is on {ticket.ref} as an internal note." in page(agent, "/desk/held/")


def test_opening_as_a_new_ticket(agent, people, ticket):
    mail = held_reply(ticket, subject=f"Re: [{ticket.ref}] Sev 3 - our export too")

    assert decide(agent, mail, "ticket").status_code == 302

    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert (new.severity, new.status, new.contact.email) == (3, Status.NEW, "piet@acme.example")
    assert f"The mail opened {new.ref} at level 3." in page(agent, "/desk/held/")
    assert ticket.events.filter(kind=EventKind.HELD_MAIL, actor=people.agent).exists()


def test_discarding_keeps_the_raw_mail(agent, people, ticket):
    mail = held_reply(ticket, sender="mallory@elsewhere.example")

    assert decide(agent, mail, "discard", why="spam").status_code == 302

    mail.refresh_from_db()
    assert mail.status == InboundStatus.DISCARDED and "alice: discarded: spam" in mail.reason
    assert rawstore.load(mail.raw_sha256)
    assert f"Mail {mail.pk} is discarded; its raw bytes are kept." in page(agent, "/desk/held/")


def test_a_refused_decision_shows_its_sentence(agent, people, ticket):
    mail = held_reply(ticket, sender="olivier@globex.example")

    response = decide(agent, mail, "attach")

    assert response.status_code == 422
    html = response.content.decode()
    assert re.search(
        r'role="alert"><strong>Not done.</strong> olivier@globex.example is a contact of Globex '
        r"Lyon, not of Acme Antwerp",
        html,
    )
    mail.refresh_from_db()
    assert mail.status == InboundStatus.QUARANTINED


def test_a_second_decision_on_one_mail_is_refused(agent, client, people, ticket):
    mail = held_reply(ticket)
    decide(agent, mail, "discard")

    client.force_login(people.second_agent)
    response = decide(client, mail, "ticket")

    assert response.status_code == 422
    assert "someone has decided on it already" in response.content.decode()
    assert Ticket.objects.count() == 1


def test_a_technician_reads_held_mail_but_cannot_decide(client, people, ticket):
    mail = held_reply(ticket)
    client.force_login(people.technician)

    shown = page(client, f"/desk/held/{mail.pk}/")
    assert "Ook bij ons faalt de export." in shown
    assert "You can read held mail; agents and leads decide on it." in shown
    assert "Add the sender" not in shown
    response = decide(client, mail, "discard")
    assert response.status_code == 403
    assert "You can read held mail but not act on it" in response.content.decode()
    mail.refresh_from_db()
    assert mail.status == InboundStatus.QUARANTINED


def test_a_lead_decides_too(client, people, ticket):
    mail = held_reply(ticket)
    client.force_login(people.lead)

    assert decide(client, mail, "note").status_code == 302
    assert held.waiting() == 0


def test_nobody_outside_the_staff_sees_held_mail(client, people, ticket):
    mail = held_reply(ticket)
    raw = f"/desk/held/{mail.pk}/raw/{file_key('raw', mail.pk)}/"
    urls = ["/desk/held/", f"/desk/held/{mail.pk}/", raw]
    for url in urls:
        assert client.get(url)["Location"].startswith("/desk/login/"), url
    claire = User.objects.create_user("claire", "Claire@Acme.example", "pw")
    people.client.user = claire
    people.client.save()
    client.force_login(claire)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert decide(client, mail, "discard").status_code == 404
    mail.refresh_from_db()
    assert mail.status == InboundStatus.QUARANTINED


HOSTILE_HTML = (
    "<p>Hallo</p><script>alert('script')</script>"
    "<img src=x onerror=\"alert('img')\"><a href=\"javascript:alert('link')\">klik</a>"
    '<iframe src="https://evil.example/"></iframe><p style="background:url(x)">weg</p>'
)


def test_hostile_content_is_inert(agent, people, ticket):
    mail = held_reply(
        ticket,
        subject=f"Re: [{ticket.ref}] <img src=x onerror=alert(1)> <b>urgent</b>",
        text="<script>alert('text')</script>",
        html=HOSTILE_HTML,
        files=(("x.html", "text/html", b"<script>alert('file')</script>"),),
    )

    for url in ("/desk/held/", f"/desk/held/{mail.pk}/"):
        html = page(agent, url)
        assert "&lt;img src=x onerror=alert(1)&gt; &lt;b&gt;urgent&lt;/b&gt;" in html, url
        assert "<img src=x" not in html and "<b>urgent" not in html, url
    shown = page(agent, f"/desk/held/{mail.pk}/")
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt;" in shown  # the text, escaped
    sanitised = shown[shown.index('<div class="mail-html" hx-disable>') :]
    sanitised = sanitised[: sanitised.index("</details>")]
    assert "<p>Hallo</p>" in sanitised
    for hostile in ("<script", "onerror", "javascript:", "<iframe", "style="):
        assert hostile not in sanitised, hostile
    assert "download>x.html</a>" in shown

    assert f'href="/desk/held/{mail.pk}/file/0/{file_key("held", mail.pk, 0)}/"' in shown
    response = agent.get(f"/desk/held/{mail.pk}/file/0/{file_key('held', mail.pk, 0)}/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="x.html"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == b"<script>alert('file')</script>"
    assert (
        agent.get(f"/desk/held/{mail.pk}/file/1/{file_key('held', mail.pk, 1)}/").status_code == 404
    )


def test_the_raw_mail_downloads_and_never_renders(agent, people, ticket):
    mail = held_reply(ticket)

    response = agent.get(f"/desk/held/{mail.pk}/raw/{file_key('raw', mail.pk)}/")

    assert response["Content-Disposition"] == f'attachment; filename="mail-{mail.pk}.eml"'
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == rawstore.load(mail.raw_sha256)


def test_an_unreadable_mail_can_still_be_discarded(agent, people):
    result = ingest(b"\x00\x01\x02 not a mail\r\n\r\n\xff", door=Door.PIPE)
    mail = InboundMail.objects.get(message_id=result.message_id or "")

    shown = page(agent, f"/desk/held/{mail.pk}/")

    assert "Deskside cannot read this mail:" in shown
    assert "Open as a new ticket" not in shown
    assert decide(agent, mail, "discard").status_code == 302


def test_held_pages_and_the_navigation_cost_few_queries(
    agent, people, ticket, django_assert_max_num_queries
):
    mails = [held_reply(ticket, sender=f"c{n}@elsewhere.example") for n in range(30)]

    # Session, user with roles, two of permissions, the notices marked read (and the test's
    # savepoint pair around it), the list, and the navigation's counts in one statement.
    with django_assert_max_num_queries(9):
        listed = page(agent, "/desk/held/")
    assert listed.count("/desk/held/") >= 30 and nav_count(listed) == "Held mail (30)"
    # The same, less the list, plus the mail's row, its raw bytes, the sender as a contact and
    # what the sender was told.
    with django_assert_max_num_queries(12):
        page(agent, f"/desk/held/{mails[0].pk}/")


def test_the_ticket_page_points_to_held_mail_that_claims_it(agent, ticket):
    held = held_reply(ticket)

    shown = page(agent, f"/desk/ticket/{ticket.ref}/")

    assert "Held mail claims this ticket" in shown
    assert f'href="/desk/held/{held.pk}/">{held.from_address}</a>' in shown
