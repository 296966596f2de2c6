"""The decisions of the intake, driven through raw bytes: what a mail becomes, who is answered,
in which language, and that nothing is lost, doubled or answered in a loop (docs/protocol.md,
Replies and threading)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DataError, OperationalError

from deskside.accounts.models import Contact
from deskside.mail import held, intake, rawstore
from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.mail.parse import Limits
from deskside.mail.results import Result
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import build
from deskside.tickets import actions
from deskside.tickets.models import (
    Attachment,
    CloseReason,
    Direction,
    Message,
    MessageKind,
    NotificationKind,
    Status,
    Ticket,
)
from tests.people import People

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BRUSSELS)  # a working day, in hours
SATURDAY_11 = datetime(2026, 3, 7, 11, 0, tzinfo=BRUSSELS)

ACK_OPENING = {
    "en": "We received your mail and opened ticket",
    "nl": "We hebben uw mail ontvangen en ticket",
    "fr": "Nous avons bien reçu votre mail et ouvert le ticket",
    "de": "wir haben Ihre Mail erhalten und das Ticket",
}
PROTOCOL_LEVEL_WORD = {"en": "Severity", "nl": "Ernst", "fr": "Gravité", "de": "Schweregrad"}
SAMPLES = {
    "nl": "Hallo, wij hebben een probleem met de export. Kunnen jullie dit bekijken? "
    "Alvast bedankt, met vriendelijke groeten",
    "fr": "Bonjour, nous avons un problème avec la facture depuis ce matin. Merci de vérifier, "
    "cordialement",
    "de": "Guten Tag, wir haben ein Problem mit dem Export. Können Sie bitte helfen? Danke und "
    "viele Grüße",
    "en": "Hello, the export is failing since this morning. Could you please have a look? Thanks",
}


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    """Every test runs at a known moment inside business hours unless it says otherwise."""
    with time_machine.travel(MONDAY_10, tick=False):
        yield


# -- building mail ------------------------------------------------------------------------------


def mail(
    subject: str = "Sev 2 - export fails",
    *,
    sender: str = "Claire Peeters <Claire@Acme.example>",
    body: str = SAMPLES["en"],
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 02 Mar 2026 09:59:00 +0100"
    msg["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    msg.set_content(body)
    for filename, content_type, payload in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    for name, value in (headers or {}).items():  # last: set_content() drops Content-* headers
        msg[name] = value
    return msg.as_bytes()


def dsn(
    original_message_id: str, failed: str, *, sender: str = "MAILER-DAEMON@mx.client.example"
) -> bytes:
    """An RFC 3464 delivery status notification returning one of our mails."""
    return (
        f"From: Mail Delivery System <{sender}>\r\n"
        "To: support@deskside.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.client.example')}\r\n"
        "Date: Mon, 02 Mar 2026 10:05:00 +0100\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        f"Your message could not be delivered to <{failed}>: 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.client.example\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {failed}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "\r\n"
        "--b1\r\n"
        "Content-Type: message/rfc822-headers\r\n"
        "\r\n"
        "From: Deskside support <support@deskside.test>\r\n"
        f"To: {failed}\r\n"
        f"Message-ID: <{original_message_id}>\r\n"
        "X-Deskside-Loop: deskside.test\r\n"
        "\r\n"
        "--b1--\r\n"
    ).encode()


def run(raw: bytes, **kwargs: object) -> Result:
    return ingest(raw, door=Door.PIPE, **kwargs)  # type: ignore[arg-type]


def outbox(ref: str | None = None) -> list[OutboundMail]:
    """What the intake answered; what staff are told (an escalation, a bounce, held mail) is not,
    nor the answer that a mail waits for review (test_held_mail.py)."""
    rows = OutboundMail.objects.exclude(
        purpose__in=[*NotificationKind.values, held.ANSWER_PURPOSE]
    ).order_by("id")
    return list(rows.filter(ticket_ref=ref) if ref else rows)


def ticket_of(result: Result) -> Ticket:
    assert result.ticket, result
    return Ticket.objects.get(pk=int(result.ticket.split("-")[1]))


def answer_of(ticket: Ticket) -> Message:
    return ticket.messages.get(direction=Direction.OUTBOUND)


# -- new mail with a severity ---------------------------------------------------------------------


def test_new_mail_with_a_severity_opens_a_ticket_and_is_acknowledged_in_the_contacts_language(
    people: People,
) -> None:
    raw = mail("Sev 2 - export fails", message_id="m1@client.example")

    result = run(raw, received_at=MONDAY_10)

    assert result.outcome == Outcome.CREATED
    assert result.severity == 2
    assert result.reason is None
    ticket = ticket_of(result)
    assert (ticket.status, ticket.severity, ticket.claimed_severity) == (Status.NEW, 2, 2)
    assert ticket.contact == people.client
    assert ticket.organisation == people.acme
    assert ticket.language == "nl"
    first = ticket.messages.get(direction=Direction.INBOUND)
    assert first.kind == MessageKind.MAIL
    assert first.message_id == "m1@client.example"
    assert "export is failing" in first.text
    ack = answer_of(ticket)
    assert ack.kind == MessageKind.ACKNOWLEDGEMENT
    assert ack.in_reply_to == "m1@client.example"
    [sent] = outbox()
    assert sent.automatic is True
    assert sent.to == ["Claire@Acme.example"]
    assert sent.in_reply_to == "m1@client.example"
    assert sent.references == "<m1@client.example>"
    assert f"[{ticket.ref}]" in sent.subject
    assert sent.message_id == ack.message_id
    assert sent.text == ack.text
    assert ACK_OPENING["nl"] in sent.text
    assert f"ticket {ticket.ref} geopend met ernst 2" in sent.text


def test_first_response_due_follows_the_level_and_is_stated_in_the_acknowledgement(
    people: People,
) -> None:
    result = run(mail("Severity 1: production down"), received_at=MONDAY_10)

    ticket = ticket_of(result)
    assert ticket.first_response_due == datetime(2026, 3, 2, 10, 30, tzinfo=BRUSSELS)
    text = answer_of(ticket).text
    assert "maandag 2 maart 2026, 10:30" in text
    assert "Wij lezen de mail" not in text, "no opening hours when the mail came in hours"


def test_out_of_hours_mail_is_told_the_next_opening_in_its_language(people: People) -> None:
    result = run(mail("Sev 1 - site down"), received_at=SATURDAY_11)

    ticket = ticket_of(result)
    assert ticket.first_response_due == datetime(2026, 3, 9, 9, 30, tzinfo=BRUSSELS)
    text = answer_of(ticket).text
    assert "Uw mail wordt gelezen op maandag 9 maart om 09:00." in text
    assert "maandag 9 maart 2026, 09:30" in text


def test_out_of_hours_opening_in_english_for_a_new_sender(people: People) -> None:
    result = run(mail("Sev 3 - slow report", sender="new@client.example"), received_at=SATURDAY_11)

    text = answer_of(ticket_of(result)).text
    assert ACK_OPENING["en"] in text
    assert "Your mail will be read on Monday 9 March at 09:00." in text


# -- no valid severity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reason", "words"),
    [
        ("Export fails", CloseReason.NO_SEVERITY, "no severity"),
        ("Severity 5 - export fails", CloseReason.INVALID_SEVERITY, "invalid severity"),
        ("Sev 1 or Sev 3? export fails", CloseReason.INVALID_SEVERITY, "ambiguous severity"),
    ],
)
def test_new_mail_without_a_valid_severity_is_closed_with_the_protocol_explained(
    people: People, subject: str, reason: CloseReason, words: str
) -> None:
    result = run(mail(subject, sender="olivier@globex.example", body=SAMPLES["fr"]))

    assert result.outcome == Outcome.REJECTED
    assert result.severity is None
    assert words in (result.reason or "")
    ticket = ticket_of(result)
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, reason)
    explanation = answer_of(ticket)
    assert explanation.kind == MessageKind.PROTOCOL
    for level in (1, 2, 3, 4):
        assert f"Gravité {level} — " in explanation.text
    assert "Votre réponse rouvre le ticket" in explanation.text
    [sent] = outbox()
    assert sent.to == ["olivier@globex.example"]
    assert sent.automatic and f"[{ticket.ref}]" in sent.subject


def test_reply_with_a_severity_reopens_the_same_ticket_at_that_level(people: People) -> None:
    first = run(mail("Export fails", message_id="first@client.example"))
    ticket = ticket_of(first)
    explanation = answer_of(ticket)

    reply = run(
        mail(
            f"Re: [{ticket.ref}] Please state the severity: Export fails Sev 1",
            in_reply_to=explanation.message_id,
        )
    )

    assert reply.outcome == Outcome.APPENDED
    assert (reply.ticket, reply.severity) == (ticket.ref, 1)
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity, ticket.close_reason) == (Status.OPEN, 1, "")
    assert ticket.first_response_due is not None
    ack = ticket.messages.get(kind=MessageKind.ACKNOWLEDGEMENT)
    assert ACK_OPENING["nl"] in ack.text
    assert [m.purpose for m in outbox(ticket.ref)] == ["protocol", "acknowledgement"]


def test_reply_with_a_severity_found_by_in_reply_to_alone_reopens_the_ticket(
    people: People,
) -> None:
    ticket = ticket_of(run(mail("Export fails")))

    reply = run(mail("Re: Sev 3 export fails", in_reply_to=answer_of(ticket).message_id))

    assert (reply.outcome, reply.ticket, reply.severity) == (Outcome.APPENDED, ticket.ref, 3)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_reply_without_a_severity_to_a_closed_ticket_gets_the_explanation_again(
    people: People,
) -> None:
    ticket = ticket_of(run(mail("Export fails")))

    reply = run(mail(f"Re: [{ticket.ref}] Please state the severity: Export fails"))

    assert reply.outcome == Outcome.APPENDED
    assert "protocol explained again" in (reply.reason or "")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, CloseReason.NO_SEVERITY)
    assert ticket.messages.filter(direction=Direction.INBOUND).count() == 2
    assert [m.purpose for m in outbox(ticket.ref)] == ["protocol", "protocol"]


# -- language -------------------------------------------------------------------------------------


def test_an_existing_contacts_language_wins_over_the_mail(people: People) -> None:
    raw = mail("Sev 2 export", body=SAMPLES["fr"], headers={"Content-Language": "fr"})

    text = answer_of(ticket_of(run(raw))).text

    assert ACK_OPENING["nl"] in text


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_a_new_contact_is_answered_in_the_content_language(people: People, language: str) -> None:
    raw = mail(
        "Sev 2 export",
        sender="new@client.example",
        body=SAMPLES["en"],
        headers={"Content-Language": f"{language}-BE"},
    )

    text = answer_of(ticket_of(run(raw))).text

    assert ACK_OPENING[language] in text
    assert Contact.objects.get(email="new@client.example").language == language


@pytest.mark.parametrize("language", ["nl", "fr", "de"])
def test_a_new_contact_is_answered_in_the_language_of_the_text(
    people: People, language: str
) -> None:
    raw = mail("Export", sender="new@client.example", body=SAMPLES[language])

    text = answer_of(ticket_of(run(raw))).text

    assert f"{PROTOCOL_LEVEL_WORD[language]} 1 — " in text
    assert Contact.objects.get(email="new@client.example").language == language


def test_a_new_contact_in_an_unknown_language_is_answered_in_english(people: People) -> None:
    raw = mail("Sev 4 vraag", sender="new@client.example", body="Tack! Hej 12345")

    text = answer_of(ticket_of(run(raw))).text

    assert ACK_OPENING["en"] in text


# -- replies and threading ------------------------------------------------------------------------


@pytest.fixture
def claires_ticket(people: People) -> Ticket:
    return ticket_of(run(mail("Sev 2 - export fails")))


def _inbound(ticket: Ticket) -> int:
    return ticket.messages.filter(direction=Direction.INBOUND).count()


def test_reply_with_our_ref_in_the_subject_joins_the_ticket(claires_ticket: Ticket) -> None:
    result = run(mail(f"Re: [{claires_ticket.ref}] Sev 2 - export fails", body="More details"))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert _inbound(claires_ticket) == 2
    assert len(outbox()) == 1, "a reply gets no second acknowledgement"


def test_reply_to_our_acknowledgement_joins_by_in_reply_to(claires_ticket: Ticket) -> None:
    result = run(mail("Re: export", in_reply_to=answer_of(claires_ticket).message_id))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert Ticket.objects.count() == 1


def test_reply_to_an_agents_reply_joins_by_references(
    people: People, claires_ticket: Ticket
) -> None:
    agent_reply = actions.reply(
        claires_ticket, "Please restart the export.", by=actions.Actor.staff(people.agent)
    ).posted

    result = run(mail("Re: export", references=["x@client.example", agent_reply.message_id]))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert _inbound(claires_ticket) == 2


def test_reply_from_a_colleague_of_the_same_organisation_joins(
    people: People, claires_ticket: Ticket
) -> None:
    result = run(mail(f"Re: [{claires_ticket.ref}] export", sender="jan@acme.example"))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert claires_ticket.messages.filter(sender="jan@acme.example").exists()


@pytest.mark.parametrize("sender", ["mallory@elsewhere.example", "olivier@globex.example"])
def test_reply_from_an_unknown_sender_is_held_for_an_agent(
    claires_ticket: Ticket, sender: str
) -> None:
    messages = claires_ticket.messages.count()

    result = run(mail(f"Re: [{claires_ticket.ref}] export", sender=sender))

    assert result.outcome == Outcome.QUARANTINED
    assert "unverified reply" in (result.reason or "")
    assert claires_ticket.messages.count() == messages
    row = InboundMail.objects.get(from_address=sender)
    assert row.status == InboundStatus.QUARANTINED
    assert len(outbox()) == 1
    assert Ticket.objects.count() == 1


def test_reply_from_a_stranger_by_our_message_id_is_held_too(claires_ticket: Ticket) -> None:
    result = run(
        mail(
            "Re: export",
            sender="mallory@elsewhere.example",
            in_reply_to=answer_of(claires_ticket).message_id,
        )
    )

    assert result.outcome == Outcome.QUARANTINED
    assert "unverified reply" in (result.reason or "")


def test_a_client_reply_ends_waiting_on_the_client(claires_ticket: Ticket) -> None:
    actions.wait_on_client(claires_ticket, by=actions.SYSTEM)

    run(mail(f"Re: [{claires_ticket.ref}] export", body="I restarted it, still failing."))

    claires_ticket.refresh_from_db()
    assert claires_ticket.status == Status.OPEN
    assert claires_ticket.clocks_paused is False


# -- automatic mail (RFC 3834) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "envelope"),
    [
        ({"Auto-Submitted": "auto-generated"}, ""),
        ({"Precedence": "bulk"}, ""),
        ({"Precedence": "list"}, ""),
        ({"Precedence": "junk"}, ""),
        ({"List-Id": "<alerts.client.example>"}, ""),
        ({"X-Auto-Response-Suppress": "All"}, ""),
        ({}, "<>"),
    ],
)
def test_automatic_mail_opens_a_ticket_but_is_never_answered(
    people: People, headers: dict[str, str], envelope: str
) -> None:
    raw = mail("Sev 2 - backup job failed", sender="monitor@client.example", headers=headers)

    result = run(raw, envelope_sender=envelope)

    assert (result.outcome, result.severity) == (Outcome.CREATED, 2)
    assert ticket_of(result).status == Status.NEW
    assert outbox() == []
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()


def test_automatic_mail_without_a_severity_is_closed_but_never_answered(people: People) -> None:
    result = run(
        mail(
            "Nightly report",
            sender="monitor@client.example",
            headers={"Auto-Submitted": "auto-generated"},
        )
    )

    assert result.outcome == Outcome.REJECTED
    assert "Auto-Submitted" in (result.reason or "")
    assert outbox() == []


def test_mail_from_mailer_daemon_is_never_answered_and_opens_no_ticket(people: People) -> None:
    raw = mail("Sev 2 - Delivery failure", sender="MAILER-DAEMON@mx.client.example")

    result = run(raw)

    assert result.outcome == Outcome.IGNORED
    assert Ticket.objects.count() == 0
    assert outbox() == []
    assert InboundMail.objects.get().status == InboundStatus.PROCESSED


@pytest.mark.parametrize(
    ("subject", "headers"),
    [
        ("Automatic reply: [{ref}] Sev 2 - export fails", {}),
        ("Re: [{ref}] Sev 2 - export fails", {"Auto-Submitted": "auto-replied"}),
        ("Afwezig: [{ref}] export", {}),
    ],
)
def test_out_of_office_on_a_waiting_ticket_is_a_note_that_does_not_end_the_wait(
    claires_ticket: Ticket, subject: str, headers: dict[str, str]
) -> None:
    actions.wait_on_client(claires_ticket, by=actions.SYSTEM)

    result = run(
        mail(
            subject.format(ref=claires_ticket.ref),
            body="Ik ben afwezig tot 10 maart.",
            headers=headers,
        )
    )

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    claires_ticket.refresh_from_db()
    assert claires_ticket.status == Status.WAITING_ON_CLIENT
    note = claires_ticket.messages.get(kind=MessageKind.AUTO_REPLY)
    assert note.direction == Direction.SYSTEM
    assert len(outbox()) == 1


def test_out_of_office_by_in_reply_to_is_a_note(claires_ticket: Ticket) -> None:
    actions.wait_on_client(claires_ticket, by=actions.SYSTEM)

    run(mail("Automatic reply: export", in_reply_to=answer_of(claires_ticket).message_id))

    claires_ticket.refresh_from_db()
    assert claires_ticket.status == Status.WAITING_ON_CLIENT
    assert claires_ticket.messages.filter(kind=MessageKind.AUTO_REPLY).count() == 1


def test_out_of_office_that_threads_nowhere_is_ignored(people: People) -> None:
    result = run(mail("Automatic reply: Sev 2 newsletter", sender="someone@client.example"))

    assert result.outcome == Outcome.IGNORED
    assert Ticket.objects.count() == 0
    assert outbox() == []
    assert InboundMail.objects.get().outcome == Outcome.IGNORED


# -- bounces --------------------------------------------------------------------------------------


def test_bounce_of_our_acknowledgement_is_a_note_and_marks_the_address_failing(
    people: People, claires_ticket: Ticket
) -> None:
    ack = answer_of(claires_ticket)

    result = run(dsn(ack.message_id, "claire@acme.example"), envelope_sender="<>")

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert "claire@acme.example" in (result.reason or "")
    note = claires_ticket.messages.get(kind=MessageKind.BOUNCE)
    assert note.direction == Direction.SYSTEM
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is not None
    people.colleague.refresh_from_db()
    assert people.colleague.mail_failing_since is None
    assert Ticket.objects.count() == 1
    assert len(outbox()) == 1


def test_bounce_of_an_agents_reply_is_a_note_on_that_ticket(
    people: People, claires_ticket: Ticket
) -> None:
    agent_reply = actions.reply(
        claires_ticket, "Try again please.", by=actions.Actor.staff(people.agent)
    ).posted

    result = run(dsn(agent_reply.message_id, "Claire@Acme.example"))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert claires_ticket.messages.filter(kind=MessageKind.BOUNCE).count() == 1


def test_a_delay_report_is_a_note_but_does_not_mark_the_address_failing(
    people: People, claires_ticket: Ticket
) -> None:
    raw = dsn(answer_of(claires_ticket).message_id, "claire@acme.example")
    raw = raw.replace(b"Action: failed", b"Action: delayed").replace(b"5.1.1", b"4.4.1")

    result = run(raw)

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert "delivery delayed" in (result.reason or "")
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is None


def test_a_plain_text_bounce_quoting_our_message_id_is_a_note(
    people: People, claires_ticket: Ticket
) -> None:
    ack = answer_of(claires_ticket)
    body = (
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its recipients.\n\n"
        "  Claire@Acme.example\n    mailbox is full\n\n"
        "------ This is a copy of the message, including all the headers. ------\n"
        f"Message-ID: <{ack.message_id}>\nSubject: {ack.subject}\n"
    )
    raw = mail(
        "Mail delivery failed: returning message to sender",
        sender="Mail Delivery System <Mailer-Daemon@mx.acme.example>",
        body=body,
        headers={"X-Failed-Recipients": "Claire@Acme.example", "Auto-Submitted": "auto-replied"},
    )

    result = run(raw, envelope_sender="<>")

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, claires_ticket.ref)
    assert claires_ticket.messages.filter(kind=MessageKind.BOUNCE).count() == 1
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is not None
    assert len(outbox()) == 1


def test_bounce_for_an_unknown_mail_is_ignored_and_marks_nobody(people: People) -> None:
    result = run(dsn("nobody-knows@elsewhere.example", "claire@acme.example"))

    assert result.outcome == Outcome.IGNORED
    assert Ticket.objects.count() == 0
    assert outbox() == []
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is None, "a forged report marks no address"


# -- loops ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("Deskside support <support@deskside.test>", {}),
        ("forwarder@client.example", {"X-Deskside-Loop": "deskside.test"}),
    ],
)
def test_our_own_mail_coming_back_is_ignored(
    people: People, sender: str, headers: dict[str, str]
) -> None:
    """Only mail we provably sent (its Message-ID is in the outbox) is dropped; what merely
    looks like ours is held (tests/security/test_loops.py)."""
    sent = run(mail("Sev 2 - export fails"))
    ours = OutboundMail.objects.get(ticket_ref=sent.ticket, purpose="acknowledgement")

    result = run(
        mail(
            f"[{sent.ticket}] Sev 2 - export fails",
            sender=sender,
            message_id=ours.message_id,
            headers=headers,
        )
    )

    assert result.outcome == Outcome.IGNORED
    assert "own mail" in (result.reason or "")
    assert Ticket.objects.count() == 1
    assert len(outbox()) == 1


# -- the cap on automatic answers -----------------------------------------------------------------


def test_automatic_answers_to_one_sender_are_capped(people: People) -> None:
    results = [run(mail(f"Question {n}", sender="chatty@client.example")) for n in range(6)]
    with_level = run(mail("Sev 3 - one more question", sender="chatty@client.example"))

    assert [r.outcome for r in results] == [Outcome.REJECTED] * 5 + [Outcome.QUARANTINED]
    assert Ticket.objects.count() == 6
    assert len(outbox()) == 5
    assert all("capped" not in (r.reason or "") for r in results[:5])
    # No level and no answer allowed: a closed ticket would be read by nobody, so it is held.
    assert "no answer may go" in (results[5].reason or "")
    assert InboundMail.objects.filter(status=InboundStatus.QUARANTINED).count() == 1
    # With a level the ticket is in the queue, where a person sees it; it is just not answered.
    assert (with_level.outcome, with_level.reason) == (
        Outcome.CREATED,
        "automatic answers capped",
    )
    assert not ticket_of(with_level).messages.filter(direction=Direction.OUTBOUND).exists()


def test_a_persons_mail_without_a_level_that_asks_for_no_answer_is_held(people: People) -> None:
    result = run(mail("Question", headers={"X-Auto-Response-Suppress": "All"}))

    assert result.outcome == Outcome.QUARANTINED
    assert "no severity in the subject, and no answer may go" in (result.reason or "")
    assert Ticket.objects.count() == 0 and outbox() == []


def test_the_cap_is_per_hour(people: People) -> None:
    for n in range(5):
        run(mail(f"Question {n}", sender="chatty@client.example"))

    with time_machine.travel(datetime(2026, 3, 2, 11, 1, tzinfo=BRUSSELS), tick=False):
        later = run(mail("Sev 3 another one", sender="chatty@client.example"))

    assert later.reason is None
    assert len(outbox()) == 6


# -- duplicates -----------------------------------------------------------------------------------


def test_the_same_bytes_twice_are_one_ticket(people: People) -> None:
    raw = mail("Sev 2 - export fails", message_id="twice@client.example")

    first, second = run(raw), run(raw)

    assert first.outcome == Outcome.CREATED
    assert second.outcome == Outcome.DUPLICATE
    assert (second.ticket, second.severity) == (first.ticket, 2)
    assert Ticket.objects.count() == 1
    assert len(outbox()) == 1


def test_a_redelivery_with_extra_trace_headers_is_a_duplicate(people: People) -> None:
    raw = mail("Sev 2 - export fails", message_id="relayed@client.example")
    relayed = (
        b"Received: from mx2.deskside.test by imap.deskside.test; 2 Mar 2026 10:00:05 +0100\r\n"
        b"Delivered-To: support@deskside.test\r\n" + raw
    )

    first, second = run(raw), run(relayed)

    assert second.outcome == Outcome.DUPLICATE
    assert second.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


def test_same_message_id_with_other_content_is_not_a_duplicate(people: People) -> None:
    first = run(mail("Sev 2 - export fails", message_id="same@client.example"))
    second = run(mail("Sev 3 - other problem", message_id="same@client.example"))

    assert second.outcome == Outcome.CREATED
    assert second.ticket != first.ticket


# -- quarantine -----------------------------------------------------------------------------------


def _quarantined(result: Result, raw: bytes, words: str) -> InboundMail:
    assert result.outcome == Outcome.QUARANTINED
    assert words in (result.reason or "")
    row = InboundMail.objects.get()
    assert row.status == InboundStatus.QUARANTINED
    assert row.outcome == Outcome.QUARANTINED
    assert words in row.reason
    assert rawstore.load(row.raw_sha256) == raw
    assert Ticket.objects.count() == 0
    assert outbox() == []
    return row


def test_unparseable_mail_is_quarantined_with_its_raw_bytes(people: People) -> None:
    raw = b"\x00\x01\x02 this is not a mail at all\r\n\r\n\xff\xfe"

    _quarantined(run(raw), raw, "unparseable")


def test_oversize_mail_is_quarantined_with_its_raw_bytes(people: People) -> None:
    limit = Limits().max_bytes
    head = mail("Sev 1 - huge log", body="see below")
    raw = head + b"x" * (limit + 1 - len(head))

    row = _quarantined(run(raw), raw, "too large")
    assert row.size == limit + 1


def test_mail_with_too_many_parts_is_quarantined(people: People) -> None:
    files = [(f"f{n}.txt", "text/plain", b"x") for n in range(Limits().max_parts + 1)]
    raw = mail("Sev 3 - many files", attachments=files)

    _quarantined(run(raw), raw, "too many MIME parts")


def test_mail_without_a_sender_is_quarantined(people: People) -> None:
    raw = mail("Sev 2 - export fails", sender="")

    _quarantined(run(raw), raw, "no sender")


def test_mail_with_an_overlong_sender_address_is_quarantined(people: People) -> None:
    raw = mail("Sev 2 - export fails", sender=f"{'a' * 60}@{'b' * 200}.example")

    _quarantined(run(raw), raw, "sender address")


def test_a_bug_in_processing_quarantines_the_mail_and_leaves_nothing_half_done(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(subject: str) -> object:
        raise RuntimeError("severity reader exploded")

    monkeypatch.setattr("deskside.mail.decide.read_severity", broken)
    contacts = Contact.objects.count()
    raw = mail("Sev 2 - export fails", sender="new@client.example")

    row = _quarantined(run(raw), raw, "internal error")

    assert "severity reader exploded" in row.reason
    assert Contact.objects.count() == contacts
    assert not Message.objects.exists()


def test_a_database_error_this_mail_provoked_quarantines_it(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(subject: str) -> object:
        raise DataError("value too long for type character varying(10)")

    monkeypatch.setattr("deskside.mail.decide.read_severity", refused)
    raw = mail("Sev 2 - export fails")

    row = _quarantined(run(raw), raw, "internal error")

    assert "value too long" in row.reason


def test_a_database_outage_while_processing_keeps_the_mail_for_a_retry(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(subject: str) -> object:
        raise OperationalError("database is locked")

    monkeypatch.setattr("deskside.mail.decide.read_severity", down)
    raw = mail("Sev 2 - export fails")

    with pytest.raises(intake.TemporaryFailure, match="database is locked"):
        run(raw)

    row = InboundMail.objects.get()
    assert (row.status, row.outcome) == (InboundStatus.STORED, "")
    assert Ticket.objects.count() == 0
    monkeypatch.undo()
    retried = run(raw)
    assert retried.outcome == Outcome.CREATED
    assert Ticket.objects.count() == 1


def test_a_quarantined_mail_delivered_again_is_a_duplicate(people: People) -> None:
    raw = mail("Sev 2 - export fails", sender="")
    run(raw)

    again = run(raw)

    assert again.outcome == Outcome.DUPLICATE
    assert InboundMail.objects.count() == 1


# -- crash between store and process ------------------------------------------------------------


def test_a_stored_but_unprocessed_mail_is_processed_exactly_once(people: People) -> None:
    raw = mail("Sev 2 - export fails")
    row, created = intake.store(raw, door=Door.IMAP, received_at=MONDAY_10)
    assert created and row.status == InboundStatus.STORED
    assert Ticket.objects.count() == 0

    assert intake.process_pending() == 1
    assert intake.process_pending() == 0

    row.refresh_from_db()
    assert (row.status, row.outcome) == (InboundStatus.PROCESSED, Outcome.CREATED)
    assert row.ticket is not None and row.ticket_message is not None
    again = intake.process(row.pk)
    assert (again.outcome, again.ticket, again.severity) == (Outcome.CREATED, row.ticket.ref, 2)
    assert Ticket.objects.count() == 1
    assert len(outbox()) == 1
    assert row.attempts == 1


def test_a_redelivery_of_a_stored_but_unprocessed_mail_finishes_it(people: People) -> None:
    raw = mail("Sev 2 - export fails")
    intake.store(raw, door=Door.SMTP)

    result = run(raw)

    assert result.outcome == Outcome.CREATED
    assert Ticket.objects.count() == 1
    assert intake.process_pending() == 0


def test_a_nul_character_in_the_mail_does_not_keep_it_from_a_ticket(people: People) -> None:
    raw = mail("Sev 2 - export\x00 fails", body="Export fails\x00 at step 3.")

    result = run(raw)

    assert result.outcome == Outcome.CREATED
    first = ticket_of(result).messages.get(direction=Direction.INBOUND)
    assert "\x00" not in first.text and "step 3" in first.text
    assert "\x00" not in ticket_of(result).subject


# -- header injection and outbound form ------------------------------------------------------------


def _with_raw_header(raw: bytes, line: bytes) -> bytes:
    return line + b"\r\n" + raw


def test_a_line_break_decoded_from_the_subject_never_reaches_an_outbound_header(
    people: People,
) -> None:
    base = mail("placeholder")
    base = b"\n".join(line for line in base.split(b"\n") if not line.startswith(b"Subject:"))
    raw = _with_raw_header(base, b"Subject: =?utf-8?q?Sev_2_x=0D=0ABcc:_evil@example.com?=")

    result = run(raw)

    assert result.outcome == Outcome.CREATED
    [row] = outbox()
    message = build(row).message()
    assert message["Bcc"] is None
    assert "\r" not in message["Subject"] and "\n" not in message["Subject"]
    assert "evil@example.com" not in str(message["To"])
    recipients = build(row).recipients()
    assert recipients == ["Claire@Acme.example"]


def test_a_line_break_in_the_senders_name_never_reaches_an_outbound_header(
    people: People,
) -> None:
    base = mail("Sev 2 - export fails", sender="")
    raw = _with_raw_header(
        base, b"From: =?utf-8?q?Eve=0D=0ABcc:_evil@example.com?= <eve@client.example>"
    )

    result = run(raw)

    assert result.outcome == Outcome.CREATED
    [row] = outbox()
    message = build(row).message()
    assert message["Bcc"] is None
    assert build(row).recipients() == ["eve@client.example"]
    assert "\n" not in Contact.objects.get(email="eve@client.example").name


def test_the_acknowledgement_is_sent_as_plain_text_and_safe_html(people: People) -> None:
    # The protocol explanation quotes the client's subject: it must stay text in the HTML.
    result = run(mail("<script>alert(1)</script> & export"))

    [row] = outbox()
    assert row.text and row.html
    assert "<script>" not in row.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; export" in row.html
    assert "<script>alert(1)</script> & export" in row.text
    assert ticket_of(result).ref in row.html
    built = build(row)
    assert [mimetype for _content, mimetype in built.alternatives] == ["text/html"]
    message = built.message()
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["In-Reply-To"] == f"<{row.in_reply_to}>"


# -- attachments ----------------------------------------------------------------------------------


def test_attachments_are_kept_with_their_checksums(people: People) -> None:
    pdf = b"%PDF-1.4 fake pdf " + bytes(range(256))
    log = b"export started\nexport failed: timeout\n"
    raw = mail(
        "Sev 2 - export fails",
        attachments=[("report.pdf", "application/pdf", pdf), ("export.log", "text/plain", log)],
    )

    ticket = ticket_of(run(raw))

    first = ticket.messages.get(direction=Direction.INBOUND)
    found = {a.filename: a for a in Attachment.objects.filter(message=first)}
    assert set(found) == {"report.pdf", "export.log"}
    assert found["report.pdf"].sha256 == hashlib.sha256(pdf).hexdigest()
    assert found["report.pdf"].size == len(pdf)
    assert found["export.log"].sha256 == hashlib.sha256(log).hexdigest()
    assert found["report.pdf"].stored_name != "report.pdf"


def test_attachments_of_a_reply_land_on_the_reply(claires_ticket: Ticket) -> None:
    shot = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    run(mail(f"Re: [{claires_ticket.ref}] export", attachments=[("shot.png", "image/png", shot)]))

    [attachment] = Attachment.objects.filter(message__ticket=claires_ticket)
    assert attachment.sha256 == hashlib.sha256(shot).hexdigest()
    assert attachment.message.direction == Direction.INBOUND
