"""Attachments: every file that came with a mail or an upload is served only as a download,
under a sandbox CSP and nosniff, whatever type its sender claimed, from a URL that cannot be
guessed from a number nor used by another organisation's client.

The peers' record: an SVG attachment that ran its script when opened in FreeScout
(freescout-help-desk/freescout#1359); attachments fetched by iterating their numeric ids in
osTicket (osTicket/osTicket#2615, fixed by #2618) and Faveo (faveosuite/faveo-helpdesk#729);
CWE-79, CWE-434 (unrestricted upload of dangerous type) and CWE-639 (authorisation through a
user-controlled key); OWASP's File Upload Cheat Sheet (serve with Content-Disposition:
attachment, a fixed Content-Type and nosniff). The desk shows in the page only what a file's
bytes prove to be an image or a PDF (tests/desk/test_previews.py); none of these is.

Files are never opened on a separate origin: see README.md, Security, for why Deskside has no
DESKSIDE_FILES_URL.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import unquote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page, expect

from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus
from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.actions import NewFile
from deskside.tickets.models import Attachment, Direction, Ticket
from deskside.tickets.models.ticket import parse_ref
from deskside.tickets.storage import file_key
from tests.browser.conftest import browser_type_launch_args  # noqa: F401  (Debian's Chromium)
from tests.browser.test_desk import sign_in
from tests.desk.conftest import MONDAY_10, open_ticket
from tests.people import make_people

SANDBOX = "sandbox; default-src 'none'"

# What a sender attaches, the type it claims, and the bytes: each would run script if a browser
# rendered it on our origin.
HOSTILE_FILES = [
    ("drawing.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
     b"<script>alert(2)</script></svg>"),
    ("page.html", "text/html", b"<html><script>alert(document.cookie)</script></html>"),
    ("feed.xml", "text/xml", b'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="#"?>'
     b'<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(3)</x:script>'),
    ("page.xhtml", "application/xhtml+xml", b'<html xmlns="http://www.w3.org/1999/xhtml">'
     b"<script>alert(4)</script></html>"),
    ("photo.png", "image/png", b"<html><script>alert('sniffed')</script></html>"),
    ("notes.txt", "text/html", b"<script>alert('claimed html')</script>"),
    # No script at all: htmx attributes, which the desk's own htmx would obey if the file ever
    # became part of the ticket page (it did: the page boosted its links, see the test below).
    ("report.html", "text/html", b"""<div hx-post="close/" hx-vals='{"reason": "solved"}' """
     b"""hx-trigger="load">Loading the report</div>"""),
]  # fmt: skip


def hostile_mail(sender: str, subject: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "support@deskside.test"
    mail["Subject"] = subject
    mail.set_content("The files you asked for.")
    for name, kind, payload in HOSTILE_FILES:
        maintype, subtype = kind.split("/")
        mail.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    return mail.as_bytes()


def assert_download(response, payload: bytes, filename: str) -> None:
    """What a browser gets: a file to save, never a page to render."""
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert filename in unquote(disposition), disposition
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX
    assert response["HX-Reswap"] == "none"  # fetched by htmx, it would enter no page
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == payload


@pytest.fixture
def mailed(people) -> Ticket:
    """A ticket opened by Claire's mail carrying every hostile file."""
    result = ingest(hostile_mail("Claire@Acme.example", "Sev 2 - files"), door=Door.PIPE)
    assert result.outcome == "created", result
    pk = parse_ref(result.ticket or "")
    assert pk is not None, result
    return Ticket.objects.get(pk=pk)


@pytest.fixture
def held(people, mailed) -> InboundMail:
    """A reply to Claire's ticket from a stranger, held, with the same files."""
    raw = hostile_mail("mallory@evil.example", f"Re: [{mailed.ref}] more files")
    assert ingest(raw, door=Door.PIPE).outcome == "quarantined"
    return InboundMail.objects.get(status=InboundStatus.QUARANTINED)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def files_of(ticket: Ticket) -> list[Attachment]:
    return list(Attachment.objects.filter(message__ticket=ticket).order_by("id"))


# -- served as downloads, under a sandbox --------------------------------------------------------


@pytest.mark.django_db
def test_the_desk_serves_every_file_as_a_sandboxed_download(people, mailed):
    """FreeScout #1359 (an SVG attachment ran its onload script), CWE-434: whatever type the
    sender claimed (SVG, HTML, XML, XHTML, a PNG that is HTML), the desk sends a download."""
    agent = signed_in(people.agent)
    stored = {a.filename: a for a in files_of(mailed)}
    assert set(stored) == {name for name, _, _ in HOSTILE_FILES}
    for name, _kind, payload in HOSTILE_FILES:
        assert_download(agent.get(f"/desk/file/{stored[name].stored_name}/"), payload, name)


@pytest.mark.django_db
def test_no_hostile_file_can_be_opened_to_be_shown(people, mailed):
    """FreeScout #1359, CWE-434: the desk's URL for showing a file (an image, a PDF) answers 404
    for each of them, a PNG that is HTML included: their bytes prove neither."""
    agent = signed_in(people.agent)
    for found in files_of(mailed):
        response = agent.get(f"/desk/file/{found.stored_name}/inline/")
        assert response.status_code == 404, found.filename
        assert "Content-Disposition" not in response


@pytest.mark.django_db
def test_the_portal_serves_every_file_as_a_sandboxed_download(people, mailed):
    """FreeScout #1359, CWE-434: the client's own portal, the same headers."""
    claire = signed_in(user_for(people.client))
    for found in files_of(mailed):
        payload = next(p for name, _, p in HOSTILE_FILES if name == found.filename)
        assert_download(claire.get(f"/portal/file/{found.stored_name}/"), payload, found.filename)


@pytest.mark.django_db
def test_a_held_mails_files_and_raw_bytes_are_sandboxed_downloads(people, held):
    """FreeScout #1359: the files of a mail nobody has vouched for, read from its raw bytes, and
    the raw mail itself (an .eml a browser might otherwise show as text/html)."""
    agent = signed_in(people.agent)
    page = agent.get(f"/desk/held/{held.pk}/").content.decode()
    for index, (name, _kind, payload) in enumerate(HOSTILE_FILES):
        url = f"/desk/held/{held.pk}/file/{index}/{file_key('held', held.pk, index)}/"
        assert f'href="{url}"' in page
        assert_download(agent.get(url), payload, name)
    raw = agent.get(f"/desk/held/{held.pk}/raw/{file_key('raw', held.pk)}/")
    from deskside.mail import rawstore

    assert_download(raw, rawstore.load(held.raw_sha256), f"mail-{held.pk}.eml")


@pytest.mark.django_db
def test_the_admins_raw_mail_download_is_a_sandboxed_download(people, held):
    """CWE-79: the admin served the raw mail as message/rfc822 without a sandbox; an .eml whose
    body is HTML then depends on the browser's choice of how to show it."""
    from deskside.mail import rawstore

    admin = signed_in(User.objects.create_superuser("root", "root@ccs2.test", "pw"))
    change = admin.get(f"/admin/mail/inboundmail/{held.pk}/change/").content.decode()
    url = f"/admin/mail/inboundmail/{held.pk}/raw/{file_key('raw', held.pk)}/"
    assert f'href="{url}"' in change
    assert_download(admin.get(url), rawstore.load(held.raw_sha256), f"mail-{held.pk}.eml")


@pytest.mark.django_db
def test_a_file_name_cannot_change_how_the_file_is_served(people):
    """CWE-113 (HTTP response splitting) and RFC 6266 §4.3: quotes, semicolons and line breaks in
    a name stay inside the one filename parameter of a download."""
    names = ['a.txt"; filename="b.html', "c.html\r\nContent-Type: text/html", "d;inline.svg"]
    ticket = open_ticket(
        people, 2, files=tuple(NewFile(n, "text/html", b"<script>x</script>") for n in names)
    )
    agent = signed_in(people.agent)
    for found in files_of(ticket):
        response = agent.get(f"/desk/file/{found.stored_name}/")
        assert response["Content-Disposition"].startswith("attachment;")
        assert "\n" not in response["Content-Disposition"]
        assert response["Content-Type"] == "application/octet-stream"


# -- URLs that cannot be guessed, nor used across organisations ------------------------------


@pytest.mark.django_db
def test_a_files_url_names_it_by_a_random_token_not_its_number(people, mailed):
    """osTicket #2615 and Faveo #729: attachments fetched by counting their ids. A file's URL
    holds its random name (128 bits); its number leads nowhere, in the desk or the portal."""
    agent, claire = signed_in(people.agent), signed_in(user_for(people.client))
    ticket_page = agent.get(f"/desk/ticket/{mailed.ref}/").content.decode()
    portal_page = claire.get(f"/portal/ticket/{mailed.ref}/").content.decode()
    for found in files_of(mailed):
        assert re.fullmatch(r"[0-9a-f]{32}", found.stored_name)
        assert f'href="/desk/file/{found.stored_name}/"' in ticket_page
        assert f'href="/portal/file/{found.stored_name}/"' in portal_page
        for path in (
            f"/desk/file/{found.pk}/",
            f"/desk/attachment/{found.pk}/",
            f"/portal/file/{found.pk}/",
            f"/portal/attachment/{found.pk}/",
        ):
            client = agent if path.startswith("/desk/") else claire
            assert client.get(path).status_code == 404, path


@pytest.mark.django_db
def test_another_organisations_client_cannot_use_the_url(people, mailed):
    """CWE-639: Olivier of Globex holds the URL of an Acme file (forwarded, logged, guessed):
    the portal answers as for a file that does not exist. Without a session, sign in first."""
    olivier = signed_in(user_for(people.other_client))
    found = files_of(mailed)[0]
    url = f"/portal/file/{found.stored_name}/"
    assert olivier.get(url).status_code == 404
    assert olivier.get(f"/portal/file/{'0' * 32}/").status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/portal/signin/" in anonymous["Location"]
    # Olivier's own file still comes.
    own = open_ticket(people, 3, contact=people.other_client,
                      files=(NewFile("globex.pdf", "application/pdf", b"%PDF-1.4"),))  # fmt: skip
    assert olivier.get(f"/portal/file/{files_of(own)[0].stored_name}/").status_code == 200


@pytest.mark.django_db
def test_a_client_never_gets_a_file_of_an_internal_note(people, mailed):
    """CWE-639: a file an agent attached to an internal note is the team's, even for a client of
    the ticket's own organisation who learns its URL."""
    note = actions.add_note(mailed, "Our analysis.", by=actions.Actor.staff(people.agent)).posted
    from deskside.tickets.storage import save_attachment

    secret = save_attachment(note, "analysis.pdf", "application/pdf", b"%PDF internal")
    assert note.direction == Direction.INTERNAL
    claire = signed_in(user_for(people.client))
    assert claire.get(f"/portal/file/{secret.stored_name}/").status_code == 404
    agent = signed_in(people.agent)
    assert agent.get(f"/desk/file/{secret.stored_name}/").status_code == 200


@pytest.mark.django_db
def test_held_mail_files_need_the_key_the_page_made(people, held, mailed):
    """osTicket #2615: a held mail's number and a file's index give no URL; the key of one mail
    opens nothing of another; nobody outside the staff gets any of it."""
    agent = signed_in(people.agent)
    other = InboundMail.objects.exclude(pk=held.pk).get()  # Claire's mail, processed
    for url in (
        f"/desk/held/{held.pk}/file/0/",
        f"/desk/held/{held.pk}/file/0/{'0' * 32}/",
        f"/desk/held/{other.pk}/file/0/{file_key('held', held.pk, 0)}/",
        f"/desk/held/{held.pk}/file/1/{file_key('held', held.pk, 0)}/",
        f"/desk/held/{held.pk}/raw/",
        f"/desk/held/{other.pk}/raw/{file_key('raw', held.pk)}/",
        f"/admin/mail/inboundmail/{held.pk}/raw/{file_key('raw', other.pk)}/",
    ):
        client = agent
        if url.startswith("/admin/"):
            client = signed_in(User.objects.create_superuser("root", "root@ccs2.test", "pw"))
        response = client.get(url)
        assert response.status_code in (404, 405), url  # 405: the POST-only decision URLs
        assert "Content-Disposition" not in response, url
    good = f"/desk/held/{held.pk}/file/0/{file_key('held', held.pk, 0)}/"
    claire = signed_in(user_for(people.client))
    assert claire.get(good).status_code == 404
    assert Client().get(good)["Location"].startswith("/desk/login/")


# -- in Chromium ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_in_chromium_every_file_downloads_and_nothing_runs(live_server, page: Page):
    """FreeScout #1359, in a real browser: each hostile file, clicked on the ticket page or
    opened by its URL, is saved as a download; no dialog opens, nothing of it enters the page,
    and the page shows none of them as an image, frame or object: their bytes prove no image or
    PDF, whatever type they claim (tests/desk/test_previews.py shows the ones that do).

    Found by this test: the ticket page boosted its links with htmx, so a click on a file fetched
    it and swapped it into the page. report.html, which holds no script, then closed the ticket
    as the agent (its hx-post carried the page's CSRF header). Files are now plain links."""
    make_people()
    result = ingest(hostile_mail("Claire@Acme.example", "Sev 2 - files"), door=Door.PIPE,
                    received_at=MONDAY_10)  # fmt: skip
    pk = parse_ref(result.ticket or "")
    assert pk is not None, result
    ticket = Ticket.objects.get(pk=pk)
    problems: list[str] = []
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/desk/ticket/{ticket.ref}/")
    attachments = page.get_by_role("list", name="Attachments")
    expect(attachments.get_by_role("link")).to_have_count(len(HOSTILE_FILES))
    inline = page.locator("img[src*='/file/'], iframe, object, embed, video, audio")
    assert inline.count() == 0
    for name, _kind, payload in HOSTILE_FILES:  # clicked on the ticket page
        with page.expect_download() as clicked:
            attachments.get_by_role("link", name=name, exact=True).click()
        assert clicked.value.suggested_filename == name
        assert clicked.value.path().read_bytes() == payload
    expect(page.get_by_role("heading", name="Conversation")).to_be_visible()
    expect(page.get_by_text("Loading the report")).to_have_count(0)
    for found in files_of(ticket):  # opened by its URL
        with page.expect_download() as opened:
            try:
                page.goto(f"{live_server.url}/desk/file/{found.stored_name}/")
            except Exception as error:  # Chromium reports a navigation that became a download
                assert "Download is starting" in str(error), error
        assert opened.value.suggested_filename == found.filename
    ticket.refresh_from_db()
    assert ticket.is_open(), ticket.close_reason
    assert problems == []
