"""Loops and automatic mail: mail that looks like ours is kept in sight unless we provably sent
it; a loop ends because nothing automatic answers it; read receipts and abuse reports open no
ticket; and an address that bounces gets no more automatic mail (docs/mail-doors.md, Loops and
automatic mail).

Every test names the advisory, issue or RFC section its mail comes from, and asserts what a
person sees: a ticket or none, the Held mail list, who was told, what was sent."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail as django_mail
from django.test import Client
from django.urls import reverse
from imap_tools import BaseMailBox

from deskside.mail import imap
from deskside.mail.models import InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.outbox.send import deliver_due
from deskside.tickets import actions
from deskside.tickets.models import NotificationKind, Ticket
from tests.mail.test_imap_door import PROCESSED
from tests.mail.test_intake import dsn
from tests.mail.test_smtp_door import processed, send, stored_id
from tests.people import People, make_people
from tests.security.doors import (
    CLAIRE,
    MONDAY_10,
    SUPPORT,
    held_mail,
    hostile,
    mailed_to,
    pipe,
    told,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def acknowledged(people: People) -> tuple[Ticket, OutboundMail]:
    """Claire's level-2 ticket and the acknowledgement Deskside sent her."""
    result = pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get(pk=int(str(result.ticket).split("-")[1]))
    return ticket, OutboundMail.objects.get(purpose="acknowledgement")


# -- what only looks like ours ------------------------------------------------------------------

LOOKALIKES = [
    # osTicket drops mail "FROM this system" (class.thread.php, osTicket #2242); we dropped
    # mail carrying our loop header: anyone can write it into a client's mail.
    pytest.param({"headers": [("X-Deskside-Loop", "deskside.test")]}, "our loop header", id="loop"),
    # RFC 5322 §3.6.4: a Message-ID is the writer's claim; one on our domain proves nothing.
    pytest.param({"message_id": "forged-123@deskside.test"}, "Message-ID on our domain", id="mid"),
    # RT's RTAddressRegexp (rt-wiki): a mail from the desk's own address is a loop, unless it
    # is forged, which From always may be.
    pytest.param({"sender": f"Deskside <{SUPPORT}>"}, "sent from our address", id="from"),
    # procmail's X-Loop convention: a robot that names us there has seen our mail; a loop.
    pytest.param(
        {"headers": [("X-Loop", SUPPORT)]}, "X-Loop header naming our address", id="xloop"
    ),
]


@pytest.mark.parametrize(("forged", "why"), LOOKALIKES)
def test_a_mail_that_only_looks_like_ours_is_held_not_dropped(
    people: People, forged: dict[str, object], why: str
) -> None:
    """A client's level-1 mail made to look like ours vanished without a trace (issue #13).
    Held, a person sees it; answered by nobody, a real loop still ends here."""
    result = pipe(hostile("Sev 1 - production is down", **forged))  # type: ignore[arg-type]

    assert result.outcome == Outcome.QUARANTINED
    assert why in (result.reason or "") and "none we sent" in (result.reason or "")
    assert [m.status for m in held_mail()] == [InboundStatus.QUARANTINED]
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]
    assert OutboundMail.objects.exclude(purpose=NotificationKind.HELD_MAIL).count() == 0


def test_our_own_mail_that_comes_back_is_dropped(people: People) -> None:
    """FreeScout #4143 ("Circular email Loop", 8,000 mails): our acknowledgement, sent back by a
    forwarding rule with its Message-ID, is one we provably sent: kept, and nothing else."""
    ticket, ack = acknowledged(people)
    back = hostile(
        f"[{ticket.ref}] We received your mail",
        sender=f"Deskside support <{SUPPORT}>",
        message_id=ack.message_id,
        headers=[("X-Deskside-Loop", "deskside.test")],
    )

    sent = OutboundMail.objects.count()

    result = pipe(back)

    assert (result.outcome, result.reason) == (Outcome.IGNORED, "our own mail came back")
    assert held_mail() == [] and Ticket.objects.count() == 1
    assert OutboundMail.objects.count() == sent  # nothing answered, nobody told


def test_an_auto_responder_that_ignores_rfc_3834_gets_five_answers_an_hour(people: People) -> None:
    """FreeScout #3670 ("Auto Reply Loops": 11 conversations before it broke): a shop's robot
    answers every mail with "this is a no-reply address", without Auto-Submitted (RFC 3834 §5
    asks for it). Each answer threads to its ticket; after the hour's five automatic answers
    the rest wait for a person, and the loop stops."""
    pipe(hostile("Your package is on the way!", sender="noreply@shop.example"))
    for _round in range(10):
        last = OutboundMail.objects.filter(primary_to="noreply@shop.example").latest("id")
        pipe(
            hostile(
                f"Re: {last.subject}",
                sender="noreply@shop.example",
                body="We are sorry, but we cannot handle your message: this is a no-reply address.",
                in_reply_to=last.message_id,
            )
        )

    answers = mailed_to("noreply@shop.example")
    assert len(answers) == 5
    assert Ticket.objects.count() == 1
    assert len(held_mail()) == 6  # the rest, for a person; the robot hears nothing more
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]  # one notice each, rewritten


@pytest.mark.django_db(transaction=True)
def test_a_mail_that_looks_like_ours_through_imap_is_held(box: BaseMailBox) -> None:
    """Through Dovecot: the mail leaves the inbox (it is ours to keep) and waits under Held."""
    make_people()
    box.append(hostile("Sev 2 - export", headers=[("X-Deskside-Loop", "x")]), "INBOX")

    assert imap.poll_once(box, imap.ensure_folder(box, PROCESSED)) == 1

    [held] = held_mail()
    assert "our loop header" in held.reason


# -- read receipts and abuse reports ------------------------------------------------------------


def report(report_type: str, part_type: str, fields: str, original: OutboundMail) -> bytes:
    """A multipart/report (RFC 6522) about one of our mails, with its headers attached."""
    return (
        f"From: Claire Peeters <{CLAIRE}>\r\n"
        f"To: {SUPPORT}\r\n"
        f"Subject: Read: {original.subject}\r\n"
        "Date: Mon, 02 Mar 2026 10:05:00 +0100\r\n"
        "Message-ID: <report-1@acme.example>\r\n"
        f"In-Reply-To: <{original.message_id}>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="r"\r\n'
        "\r\n--r\r\nContent-Type: text/plain\r\n\r\nThe message was displayed.\r\n"
        f"--r\r\nContent-Type: {part_type}\r\n\r\n{fields}\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Deskside support <{SUPPORT}>\r\nMessage-ID: <{original.message_id}>\r\n"
        f"Subject: {original.subject}\r\n\r\n--r--\r\n"
    ).encode()


def read_receipt(original: OutboundMail) -> bytes:
    """RFC 8098 §3: an MDN, report-type=disposition-notification."""
    return report(
        "disposition-notification",
        "message/disposition-notification",
        "Reporting-UA: mail.acme.example; Outlook\r\nFinal-Recipient: rfc822;claire@acme.example"
        f"\r\nOriginal-Message-ID: <{original.message_id}>\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n",
        original,
    )


def test_a_read_receipt_opens_no_ticket(people: People) -> None:
    """RFC 8098 §3: a read receipt is a report, not a request. It opened a ticket (closed for
    want of a level, with the protocol explained to the client) or landed on Claire's ticket
    as her reply."""
    ticket, ack = acknowledged(people)
    messages = ticket.messages.count()

    result = pipe(read_receipt(ack))

    assert result.outcome == Outcome.IGNORED and "read receipt" in (result.reason or "")
    assert Ticket.objects.count() == 1 and ticket.messages.count() == messages
    assert held_mail() == [] and mailed_to(CLAIRE) == [ack]


@pytest.mark.django_db(transaction=True)
def test_a_read_receipt_through_the_smtp_listener(door: smtplib.SMTP) -> None:
    """The SMTP door: 250, then nothing opened."""
    people = make_people()
    _ticket, ack = acknowledged(people)

    code, reply = send(door, read_receipt(ack))

    assert code == 250
    assert processed(stored_id(reply)).outcome == Outcome.IGNORED
    assert Ticket.objects.count() == 1


def test_an_abuse_report_is_held_for_a_person(people: People) -> None:
    """RFC 5965 §2 (ARF): a mailbox provider reports our acknowledgement as spam (a forged
    sender made us answer a stranger). It opened a ticket; a person must read it instead, and
    it claims the ticket of the mail it reports."""
    ticket, ack = acknowledged(people)
    arf = report(
        "feedback-report",
        "message/feedback-report",
        "Feedback-Type: abuse\r\nUser-Agent: SomeGenerator/1.0\r\nVersion: 1\r\n",
        ack,
    ).replace(b"Read: ", b"Abuse report: ")

    result = pipe(arf)

    assert result.outcome == Outcome.QUARANTINED and "abuse report" in (result.reason or "")
    [held] = held_mail()
    assert held.claimed_ticket == ticket
    assert Ticket.objects.count() == 1
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]
    assert mailed_to(CLAIRE) == [ack]  # nobody is answered


# -- an address that bounces --------------------------------------------------------------------


def test_an_address_that_bounced_gets_no_more_automatic_mail(
    people: People, client: Client
) -> None:
    """FreeScout #3156 ("Receiving thousands of UNDELIVERED/BOUNCE messages") and #1629 ("Don't
    send notification mail when there are delivery problems"): Deskside went on mailing an
    address that bounced. Now the outbox holds back automatic mail to it, an agent's own reply
    still goes, and the ticket page says so."""
    ticket, ack = acknowledged(people)
    deliver_due()  # the acknowledgement goes out, and comes back
    pipe(dsn(ack.message_id, CLAIRE))
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is not None
    deliver_due()
    django_mail.outbox.clear()

    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        pipe(hostile("Sev 3 - another question"))  # acknowledged: automatic
        actions.reply(
            ticket, "Here is the fix.", by=actions.Actor.staff(people.agent)
        )  # a person's reply
        deliver_due()

    assert [m.subject for m in django_mail.outbox] == [f"[{ticket.ref}] Sev 2 - export fails"]
    held_back = OutboundMail.objects.get(status=OutboundStatus.SUPPRESSED)
    assert held_back.purpose == "acknowledgement" and "bounces" in held_back.last_error
    client.force_login(people.agent)
    page = client.get(reverse("desk:ticket", args=[ticket.ref])).content.decode()
    assert f"Mail to {people.client.email} bounces" in page


def test_a_forged_bounce_marks_no_address(people: People) -> None:
    """RFC 3464 reports are easy to forge: only one about a Message-ID we sent counts, so a
    stranger cannot silence a client's acknowledgements."""
    result = pipe(dsn("never-sent@deskside.test", CLAIRE))

    assert result.outcome in (Outcome.IGNORED, Outcome.QUARANTINED)
    people.client.refresh_from_db()
    assert people.client.mail_failing_since is None
    assert InboundMail.objects.filter(ticket__isnull=False).count() == 0
