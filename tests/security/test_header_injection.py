"""Header injection in the mail Deskside sends: whatever a client writes (a subject, a display
name, an address, a Message-ID, a file name) never splits a header of any mail that goes out.

Each mail is sent through a real SMTP server (aiosmtpd) and read back as it arrived. An injected
field would show up as a header of its own (`X-Injected`, `Bcc`), or as an extra recipient.

The hostile values come from RFC 5322 §2.2 (a field is one line, folded only before white
space), RFC 2047 §5 ("mail readers … should ensure that display of the decoded data … will not
cause unwanted side-effects") and CVE-2024-6923 (CPython gh-121650): before 3.12.5 the email
package decodes an encoded word it finds in a header value and writes a decoded CR or LF out raw,
which splits the header. This desk runs on 3.12.1.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deskside.accounts.models import Contact
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus
from deskside.onsite import actions as onsite
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.outbox.send import HeaderInjection, build, deliver_due, queue
from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.models import Direction, MessageKind, Ticket
from deskside.tickets.models.ticket import parse_ref
from deskside.tickets.tasks import sweep_cooperation
from tests.desk.conftest import MONDAY_10, open_ticket
from tests.security.hostile import Arrived, Mailbox, hostile_mail, mailbox

__all__ = ["mailbox"]  # the fixture, used by name

pytestmark = pytest.mark.django_db

INJECTED = "X-Injected: yes"


def encoded(text: str, encoding: str = "q") -> str:
    """`text` as one RFC 2047 encoded word."""
    if encoding == "b":
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="
    quoted = "".join(
        ch if ch.isalnum() else "_" if ch == " " else "".join(f"={b:02X}" for b in ch.encode())
        for ch in text
    )
    return f"=?utf-8?q?{quoted}?="


def nested(text: str, times: int) -> str:
    for _ in range(times):
        text = encoded(text, "b")
    return text


# A subject as it arrives, and what it carries: each decodes, once or twice, to a line break.
# The intake decodes one layer; the second layer is what the email package would decode again
# when the subject is quoted in a mail Deskside sends (CVE-2024-6923's reproducer is the first).
SUBJECTS = {
    "cve-2024-6923": "Sev 2 A 💩 subject=?UTF-8?Q?=0A?=Bcc: injected@example.com",
    "encoded-crlf": f"Sev 2 export {encoded(chr(13) + chr(10) + INJECTED)}",
    "encoded-twice": f"Sev 2 export {encoded(encoded(chr(13) + chr(10) + INJECTED), 'b')}",
    "encoded-twice-lf": f"Sev 2 {encoded('=?UTF-8?Q?=0A?=' + INJECTED, 'b')}",
    "encoded-twice-cr": f"Sev 2 {encoded('=?utf-8?q?=0D?=' + INJECTED, 'b')}",
    "unicode-line-separator": f"Sev 2 export {encoded(chr(0x2028) + INJECTED)}",
    "next-line": f"Sev 2 export {encoded(chr(0x85) + INJECTED)}",
    "vertical-tab-form-feed": f"Sev 2 export {encoded(chr(11) + chr(12) + INJECTED)}",
    "nul": f"Sev 2 export {encoded(chr(0) + INJECTED)}",
    "trailing-newline": f"Sev 2 export {encoded(chr(10), 'b')}",
    "encoded-ten-times": "Sev 2 " + nested(chr(13) + chr(10) + INJECTED, 10),
}
# An address whose local part is an encoded word: the email package decodes it in a To field.
HOSTILE_ADDRESS = f"{encoded(chr(13) + chr(10) + 'Bcc: victim@evil.example')}@evil.example"
HOSTILE_ID = f"<{encoded(chr(13) + chr(10) + INJECTED)}@evil.example>"


def assert_whole(arrived: list[Arrived], *, to: str | None = None) -> None:
    """Every mail arrived with each of its headers whole, and only where it was meant to go."""
    assert arrived, "no mail arrived"
    for mail in arrived:
        fields = mail.fields()
        assert "x-injected" not in fields, mail.raw[:2000]
        assert "bcc" not in fields, mail.raw[:2000]
        assert fields.count("subject") == 1, mail.raw[:2000]
        head = mail.raw.split(b"\r\n\r\n", 1)[0]
        assert b"\r\nX-Injected" not in head and b"\nBcc" not in head, head
        assert "victim@evil.example" not in [r.lower() for r in mail.rcpt_tos]
        if to is not None:
            assert [r.lower() for r in mail.rcpt_tos] == [to.lower()]


def sent(mailbox: Mailbox, purpose: str | None = None) -> list[Arrived]:
    deliver_due()
    if purpose is None:
        return mailbox.arrived
    ids = {
        f"<{m}>"
        for m in OutboundMail.objects.filter(purpose=purpose).values_list("message_id", flat=True)
    }
    return [a for a in mailbox.arrived if a.message["Message-ID"] in ids]


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


# -- automatic answers to a new mail ------------------------------------------------------------


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_the_acknowledgement_keeps_every_header_whole(mailbox, people, subject):
    """CVE-2024-6923; RFC 2047 §5: the client's subject is quoted in the acknowledgement's."""
    result = ingest(hostile_mail(subject=subject), door=Door.PIPE, received_at=MONDAY_10)
    assert result.outcome == "created", result

    arrived = sent(mailbox, "acknowledgement")

    assert_whole(arrived, to="mallory@evil.example")
    ticket = Ticket.objects.get()
    assert ticket.ref in arrived[0].message["Subject"]


@pytest.mark.parametrize("subject", SUBJECTS.values(), ids=SUBJECTS.keys())
def test_the_protocol_explanation_keeps_every_header_whole(mailbox, people, subject):
    """CVE-2024-6923: a subject without a level is quoted in the explanation's subject."""
    subject = subject.replace("Sev 2 ", "")
    result = ingest(hostile_mail(subject=subject), door=Door.PIPE, received_at=MONDAY_10)
    assert result.outcome == "rejected", result

    assert_whole(sent(mailbox, "protocol"), to="mallory@evil.example")


def test_a_message_id_that_decodes_to_a_line_break_does_not_thread_the_answer(mailbox, people):
    """RFC 5322 §3.6.4: In-Reply-To and References quote the client's Message-ID, which the
    email package reads as unstructured text and decodes (CVE-2024-6923)."""
    ingest(hostile_mail(message_id=HOSTILE_ID), door=Door.PIPE, received_at=MONDAY_10)

    [arrived] = sent(mailbox, "acknowledgement")

    assert_whole([arrived], to="mallory@evil.example")
    assert "=?" not in (arrived.message["In-Reply-To"] or "")


def test_a_display_name_that_decodes_to_a_line_break_stays_a_name(mailbox, people):
    """RFC 2047 §5 and §6.2: an encoded display name ("phrase") of the sender, once and twice."""
    name = encoded(encoded(chr(13) + chr(10) + INJECTED), "b")
    ingest(hostile_mail(sender=f"{name} <eve@evil.example>"), door=Door.PIPE)

    assert_whole(sent(mailbox))
    assert_whole(sent(mailbox, "acknowledgement"), to="eve@evil.example")
    contact = Contact.objects.get(email="eve@evil.example")
    assert "\n" not in contact.name and "\r" not in contact.name


# -- an address that would decode into a header --------------------------------------------------


def test_an_address_that_decodes_to_a_line_break_gets_no_mail_and_a_reason(mailbox, people):
    """RFC 2047 §5 forbids encoded words in an addr-spec, but the email package (3.12.1) decodes
    one in a local part. The intake holds such a mail (its sender reads two ways); should any
    mail be queued to such an address all the same, the outbox keeps it with its reason and
    never sends it."""
    result = ingest(hostile_mail(sender=f"<{HOSTILE_ADDRESS}>"), door=Door.PIPE)
    assert result.outcome == "quarantined", result
    queued = queue(to=[HOSTILE_ADDRESS], subject="Your ticket", text="t", purpose="test")

    arrived = sent(mailbox)

    assert [a for a in arrived if "evil.example" in " ".join(a.rcpt_tos)] == []
    assert_whole(arrived)  # the staff are told of the held mail all the same
    queued.refresh_from_db()
    assert queued.status == OutboundStatus.FAILED
    assert "address" in queued.last_error and "line break" in queued.last_error


def test_the_portal_sign_in_link_is_not_sent_to_an_address_that_would_split(mailbox, people):
    """The portal's sign-in link goes to the stored address only (OWASP: e-mail header injection);
    one that the email package would decode into two headers gets no mail at all."""
    Contact.objects.create(email=HOSTILE_ADDRESS, name="Eve", organisation=people.acme)

    response = Client().post("/portal/signin/", {"email": HOSTILE_ADDRESS})

    assert response.status_code == 302
    deliver_due()
    assert mailbox.arrived == []
    link = OutboundMail.objects.get(purpose="portal_link")
    assert link.status == OutboundStatus.FAILED


def test_the_portal_sign_in_link_to_a_client_keeps_every_header_whole(mailbox, people):
    """The sign-in link mail of the portal, to a client whose name is hostile."""
    people.client.name = encoded(chr(10) + INJECTED)
    people.client.save()

    Client().post("/portal/signin/", {"email": people.client.email})

    assert_whole(sent(mailbox, "portal_link"), to=people.client.email)


# -- held mail ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject", [SUBJECTS["encoded-twice"], SUBJECTS["cve-2024-6923"]], ids=["twice", "cve"]
)
def test_a_held_mail_answers_its_sender_and_tells_staff_with_whole_headers(
    mailbox, people, subject
):
    """An unverified reply is held; its sender hears so and the agents on duty are told. Both
    mails quote the stranger's subject and address (CVE-2024-6923)."""
    ticket = open_ticket(people, 2)
    raw = hostile_mail(subject=f"Re: [{ticket.ref}] {subject}", message_id=HOSTILE_ID)
    result = ingest(raw, door=Door.PIPE, received_at=MONDAY_10)
    assert result.outcome == "quarantined", result

    arrived = sent(mailbox)

    answer = [a for a in arrived if a.rcpt_tos == ["mallory@evil.example"]]
    staff = [a for a in arrived if a.rcpt_tos != ["mallory@evil.example"]]
    assert answer and staff
    assert_whole(arrived)


def test_staff_are_told_of_a_held_mail_from_a_hostile_address_with_whole_headers(mailbox, people):
    """The staff notice names the sender's address in its subject: "Mail from … is held"."""
    ticket = open_ticket(people, 2)
    raw = hostile_mail(subject=f"Re: [{ticket.ref}] more", sender=f"<{HOSTILE_ADDRESS}>")
    ingest(raw, door=Door.PIPE, received_at=MONDAY_10)
    assert InboundMail.objects.get().status == InboundStatus.QUARANTINED

    assert_whole(sent(mailbox, "held_mail"))


def test_staff_are_told_of_an_unreadable_mail_with_whole_headers(mailbox, people):
    """A mail the parser refuses (300 parts) is held with the raw From and Subject it carried."""
    subject = SUBJECTS["encoded-twice"]
    parts = "".join("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(300))
    raw = hostile_mail(
        subject=subject,
        sender=HOSTILE_ADDRESS,
        content_type="multipart/mixed; boundary=b",
        body=parts + "--b--",
    )
    result = ingest(raw, door=Door.PIPE, received_at=MONDAY_10)
    assert result.outcome == "quarantined", result

    assert_whole(sent(mailbox, "held_mail"))


# -- what an agent's work sends --------------------------------------------------------------------


def hostile_ticket(people, subject: str = SUBJECTS["encoded-twice"]) -> Ticket:
    result = ingest(hostile_mail(subject=subject, sender="<claire@acme.example>"), door=Door.PIPE)
    assert result.ticket is not None, result
    pk = parse_ref(result.ticket)
    assert pk is not None, result
    return Ticket.objects.get(pk=pk)


def test_an_agents_reply_keeps_every_header_whole(mailbox, people):
    """The reply's subject is "[ref] <the client's subject>"; a file the agent attaches carries a
    name that the email package would decode in its Content-Disposition (CVE-2024-6923)."""
    ticket = hostile_ticket(people)
    agent = Client()
    agent.force_login(people.agent)
    upload = SimpleUploadedFile(
        f"{encoded(chr(13) + chr(10) + INJECTED)}.txt", b"the log", content_type="text/plain"
    )

    response = agent.post(
        f"/desk/ticket/{ticket.ref}/reply/", {"text": "Try again now.", "attachments": [upload]}
    )

    assert response.status_code == 302
    arrived = sent(mailbox, "reply")
    assert_whole(arrived, to=people.client.email)
    [attachment] = [p for p in arrived[0].message.walk() if p.get_filename()]
    assert attachment.get_payload(decode=True) == b"the log"


def test_reminders_and_the_final_close_keep_every_header_whole(mailbox, people):
    """The cooperation mails quote the ticket's subject: "Reminder 1: [ref] <subject>"."""
    ticket = hostile_ticket(people)
    actions.propose_steps(
        ticket, "Restart the export service.", by=actions.Actor.staff(people.agent)
    )

    for days in (3, 6, 9, 12, 15):
        with time_machine.travel(MONDAY_10 + timedelta(days=days), tick=False):
            sweep_cooperation()
            deliver_due()

    purposes = set(OutboundMail.objects.values_list("purpose", flat=True))
    assert {"reminder_1", "reminder_2", "closed_unavailable"} <= purposes
    assert_whole(sent(mailbox))
    for purpose in ("proposal", "reminder_1", "reminder_2", "closed_unavailable"):
        assert_whole(sent(mailbox, purpose), to=people.client.email)


def test_staff_notifications_keep_every_header_whole(mailbox, people):
    """Escalation of a level-2 ticket, an assignment, the client's answer: each names the ticket's
    subject in the staff mail's subject."""
    ticket = hostile_ticket(people)
    actions.assign(ticket, people.agent, by=actions.Actor.staff(people.second_agent))
    actions.receive_from_client(
        ticket,
        actions.NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="Still broken.",
            sender="claire@acme.example",
        ),
        by=actions.Actor.sender("claire@acme.example"),
    )

    arrived = sent(mailbox)

    kinds = set(OutboundMail.objects.values_list("purpose", flat=True))
    assert {"escalation", "assigned", "client_message"} <= kinds
    assert_whole(arrived)


def test_visit_invitations_keep_every_header_whole(mailbox, people):
    """On-site visit mails: the technician's subject names the client (a hostile display name),
    the client's and the calendar's summary quote the ticket's subject."""
    people.client.name = encoded(encoded(chr(13) + chr(10) + INJECTED), "b")
    people.client.save()
    ticket = hostile_ticket(people)
    visit = onsite.request_visit(ticket, "The printer jams.", by=people.agent)
    start = MONDAY_10 + timedelta(days=1)
    onsite.schedule(
        visit, technician=people.technician, start=start, duration=timedelta(hours=1),
        by=people.agent,
    )  # fmt: skip

    arrived = sent(mailbox)

    assert {a.rcpt_tos[0].lower() for a in arrived} >= {
        people.client.email.lower(),
        people.technician.email,
    }
    assert_whole(arrived)
    for mail in arrived:
        for part in mail.message.walk():
            if part.get_content_type() == "text/calendar":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                ics = payload.decode()
                assert "\nX-INJECTED" not in ics.upper()


def test_a_portal_ticket_with_an_encoded_subject_alerts_staff_with_whole_headers(mailbox, people):
    """A client types an encoded word into the portal's subject field (the portal's form is
    another door): the level-1 alert to every agent quotes it."""
    client = Client()
    client.force_login(user_for(people.client))

    response = client.post(
        "/portal/new/",
        {"subject": SUBJECTS["cve-2024-6923"], "description": "It fails.", "level": "1"},
    )

    assert response.status_code == 302
    assert_whole(sent(mailbox, "escalation"))


# -- the outbox itself --------------------------------------------------------------------------


def test_every_line_break_python_knows_is_refused_in_a_subject(people):
    """RFC 5322 §2.2: str.splitlines() breaks on eleven characters; some mail software treats
    each as a line end. A caller that passes one has a bug: it is refused, nothing queued."""
    for brk in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00":
        with pytest.raises(HeaderInjection):
            queue(to=["a@example.com"], subject=f"x{brk}Bcc: b@x", text="t", purpose="test")
    assert not OutboundMail.objects.exists()


def test_a_header_the_email_package_would_split_is_never_sent(mailbox, people):
    """The last line of defence, as Python 3.12.5's verify_generated_headers: a mail whose
    written header would hold a line not starting with white space is not sent at all."""
    mail = queue(to=["a@example.com"], subject="fine", text="t", purpose="test")
    built = build(mail)
    built.extra_headers["X-Test"] = "=?utf-8?q?=0D=0AX-Injected:_yes?="

    with pytest.raises(HeaderInjection):
        built.message().as_bytes()


def test_the_cve_2024_6923_reproducer_goes_out_as_one_subject(mailbox):
    """CPython gh-121650's reproducer, queued as a subject: it arrives as one Subject field whose
    words are all there, and the policy every Deskside mail is written with refuses it raw."""
    from deskside.outbox.send import WRITING_POLICY

    reproducer = "A 💩 subject=?UTF-8?Q?=0A?=Bcc: injected@example.com"
    queue(to=["a@example.com"], subject=reproducer, text="t", purpose="test")

    [arrived] = sent(mailbox)

    assert_whole([arrived], to="a@example.com")
    assert "Bcc: injected@example.com" in str(
        make_header(decode_header(arrived.message["Subject"]))
    )
    message = EmailMessage(policy=WRITING_POLICY)
    message["Subject"] = reproducer
    message.set_content("This is 💩 the body of the message.\n")
    with pytest.raises(HeaderInjection):
        message.as_bytes()
