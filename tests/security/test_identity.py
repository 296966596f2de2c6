"""Identity: who a mail is from decides which tickets it may touch, so a sender is the addr-spec
of a strictly read From and nothing else: never Reply-To, never a header of ours written from
outside, never threading headers alone, and never a From that can be read two ways
(docs/mail-doors.md, Who a mail is from).

Every test names the advisory or RFC section its hostile mail comes from, and asserts what a
person sees: the ticket untouched, the mail under Held mail with its reason, who was told."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from imap_tools import BaseMailBox

from deskside.core.errors import ErrorCode
from deskside.mail import imap, quarantine
from deskside.mail.models import InboundStatus, Outcome
from deskside.mail.results import Result
from deskside.tickets import actions
from deskside.tickets.models import Direction, NotificationKind, Status, Ticket
from tests.mail.test_imap_door import PROCESSED
from tests.mail.test_smtp_door import processed, send, stored_id
from tests.people import People, make_people
from tests.refusals import refused
from tests.security.doors import (
    CLAIRE,
    MONDAY_10,
    command,
    held_mail,
    hostile,
    mailed_to,
    pipe,
    solved_ticket,
    told,
)

pytestmark = pytest.mark.django_db

MALLORY = "mallory@evil.example"
TUESDAY_10 = MONDAY_10.replace(day=3)


@pytest.fixture(autouse=True)
def _monday() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def untouched(ticket: Ticket) -> None:
    """The ticket as the forger found it: still closed, no new message, nobody alerted."""
    before = ticket.messages.count()
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.messages.count() == before
    assert told(NotificationKind.ESCALATION) == []
    assert told(NotificationKind.CLIENT_MESSAGE) == []


# -- a From that reads two ways -----------------------------------------------------------------

AMBIGUOUS = [
    # RFC 5322 §3.6.2: From holds a mailbox-list, and Sender must then say who sent it; we take
    # no list: the first mailbox would be whichever the forger put first.
    pytest.param(f"{CLAIRE}, {MALLORY}", "more than one mailbox", id="two-mailboxes"),
    # RFC 5322 §3.6 (table): From occurs exactly once.
    pytest.param([MALLORY, CLAIRE], "2 From: fields", id="two-from-fields"),
    # RFC 2047 §5 (3): an encoded word never stands in an addr-spec; decoded, this one names
    # Claire (Zammad's own test mail117/118, tests/mail/corpus/zammad).
    pytest.param("=?utf-8?b?Y2xhaXJlQGFjbWUuZXhhbXBsZQ==?=", "encoded word", id="encoded-word"),
    # RFC 5322 §3.4: nothing but CFWS may follow the angle-addr.
    pytest.param(f"Claire <{CLAIRE}> {MALLORY}", "text after the address", id="trailing-text"),
    # RFC 5322 §3.2.2: a comment ends with ")"; readers disagree on where this one ends.
    pytest.param(f"{CLAIRE} (Claire Peeters", "unclosed comment", id="unclosed-comment"),
    # RFC 6854 §2: a group in From, whose members no one vouches for.
    pytest.param(f"Acme: {CLAIRE};", "group of addresses", id="group"),
]


@pytest.mark.parametrize(("sender", "why"), AMBIGUOUS)
def test_an_ambiguous_from_never_reopens_a_clients_ticket(
    people: People, sender: str | list[str], why: str
) -> None:
    """FreeScout #2733 ("Mail spoofing in ticket") and GitLab Service Desk (gitlab-org/gitlab
    #349329): the desk took its client's word from a header the forger wrote. Here the forged
    reply would reopen Claire's closed level-1 ticket and alert every agent."""
    ticket = solved_ticket(people, level=1)

    result = pipe(hostile(f"Re: [{ticket.ref}] Sev 1 - export fails", sender=sender))

    assert result.outcome == Outcome.QUARANTINED
    assert "ambiguous sender" in (result.reason or "") and why in (result.reason or "")
    untouched(ticket)
    [held] = held_mail()
    assert held.claimed_ticket == ticket  # the desk shows which ticket it claims
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]  # a person decides
    assert mailed_to(CLAIRE) == [] and mailed_to(MALLORY) == []  # nobody is answered


@pytest.mark.parametrize(("sender", "why"), AMBIGUOUS)
def test_an_ambiguous_from_opens_no_ticket_for_a_known_client(
    people: People, sender: str | list[str], why: str
) -> None:
    """The same forgeries as a new mail: a level-1 ticket in Claire's name would alert every
    agent and show in Acme's portal."""
    result = pipe(hostile("Sev 1 - production is down", sender=sender))

    assert result.outcome == Outcome.QUARANTINED and why in (result.reason or "")
    assert Ticket.objects.count() == 0
    assert told(NotificationKind.ESCALATION) == []
    assert people.client.tickets.count() == 0


def test_a_held_ambiguous_mail_cannot_become_a_ticket_in_a_clients_name(people: People) -> None:
    """Held mail's "open as a new ticket" would make the first mailbox, Claire, its contact:
    the lead is told why not and keeps the other decisions (docs/mail-doors.md)."""
    pipe(hostile("Sev 1 - production is down", sender=f"{CLAIRE}, {MALLORY}"))
    [held] = held_mail()

    with refused(ErrorCode.SENDER_AMBIGUOUS):
        quarantine.make_ticket(held, by=people.lead)
    assert Ticket.objects.count() == 0


def test_a_display_name_that_looks_like_an_address_is_only_a_name(people: People) -> None:
    """RFC 5322 §3.4: the display name is a phrase; the address is what stands in angle
    brackets. FreeScout #4287: a name (or Reply-To) shown as the customer fooled agents."""
    ticket = solved_ticket(people, level=1)

    result = pipe(
        hostile(f"Re: [{ticket.ref}] Sev 1", sender=f'"{CLAIRE}" <{MALLORY}>'),
    )

    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == f"unverified reply to {ticket.ref} from {MALLORY}: held for an agent"
    untouched(ticket)


def test_a_plain_from_is_still_the_client(people: People) -> None:
    """The control: Claire's own reply, with a comment and a name, reopens her ticket."""
    ticket = solved_ticket(people, level=1)

    with time_machine.travel(TUESDAY_10, tick=False):
        result = pipe(
            hostile(f"Re: [{ticket.ref}] Sev 1", sender=f"Claire Peeters <{CLAIRE}> (Acme)"),
            received_at=TUESDAY_10,
        )

    assert result.outcome == Outcome.APPENDED
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert told(NotificationKind.ESCALATION) == ["alice", "bob"]


# -- Reply-To, our own headers, threading ------------------------------------------------------


def test_reply_to_naming_a_client_grants_a_stranger_nothing(people: People) -> None:
    """GitLab Service Desk, gitlab-org/gitlab #349329 (HackerOne #1433607): "allows spoofing
    issue creator via reply-to email header". RFC 5322 §3.6.2: Reply-To says where answers go,
    not who wrote."""
    ticket = solved_ticket(people, level=1)

    result = pipe(
        hostile(f"Re: [{ticket.ref}] Sev 1", sender=MALLORY, headers=[("Reply-To", f"<{CLAIRE}>")])
    )

    assert result.outcome == Outcome.QUARANTINED
    assert f"from {MALLORY}" in (result.reason or "")
    untouched(ticket)


def test_answers_go_to_the_from_address_never_to_reply_to(people: People) -> None:
    """FreeScout #4287 and #3629 (FreeScout takes Reply-To as the customer): a client's mail
    that names another Reply-To is acknowledged at the address that wrote it, and so is every
    later mail about its ticket."""
    result = pipe(hostile("Sev 3 - export fails", headers=[("Reply-To", MALLORY)]))

    assert result.outcome == Outcome.CREATED
    ticket = Ticket.objects.get()
    assert ticket.contact == people.client
    actions.reply(ticket, "Try the new version.", by=actions.Actor.staff(people.agent))
    assert [m.purpose for m in mailed_to(CLAIRE)] == ["acknowledgement", "reply"]
    assert mailed_to(MALLORY) == []


def test_our_own_headers_written_from_outside_are_no_commands(people: People) -> None:
    """Zammad's X-Zammad-* headers set ticket fields only on a trusted channel (zammad/zammad
    #3150): headers in our own namespace from outside are not believed. A stranger's mail that
    names a ticket, a level and a contact in them opens its own ticket at its subject's level."""
    ticket = solved_ticket(people, level=1)

    result = pipe(
        hostile(
            "Sev 4 - a question",
            sender="Pieter <pieter@newclient.example>",
            headers=[
                ("X-Deskside-Ticket", ticket.ref),
                ("X-Deskside-Severity", "1"),
                ("X-Deskside-Contact", CLAIRE),
                ("X-Deskside-Verified", "yes"),
            ],
        )
    )

    assert (result.outcome, result.severity) == (Outcome.CREATED, 4)
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert new.contact.email == "pieter@newclient.example" and new.organisation is None
    untouched(ticket)


def test_threading_headers_alone_never_let_a_stranger_in(people: People) -> None:
    """RFC 5322 §3.6.4: In-Reply-To and References are the writer's claim. A stranger who
    knows the Message-ID of our acknowledgement (it went to Claire; a forwarded copy is enough)
    is held, not filed on Claire's ticket (iTop mail-to-ticket #95, the same flaw)."""
    pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()
    ours = ticket.messages.get(direction=Direction.OUTBOUND).message_id

    result = pipe(hostile("Re: export", sender=MALLORY, in_reply_to=ours))

    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == f"unverified reply to {ticket.ref} from {MALLORY}: held for an agent"
    assert ticket.messages.count() == 2  # the mail and our acknowledgement, nothing more


def test_a_verified_colleague_may_answer(people: People) -> None:
    """The control: Jan, a known contact of Acme, answers Claire's ticket."""
    pipe(hostile("Sev 2 - export fails"))
    ticket = Ticket.objects.get()

    result = pipe(hostile(f"Re: [{ticket.ref}] export", sender="Jan <jan@acme.example>"))

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, ticket.ref)


# -- through the other doors --------------------------------------------------------------------


def test_an_ambiguous_from_through_deskside_ingest(people: People, tmp_path: Path) -> None:
    """The pipe door an MTA runs (`deskside ingest FILE`), with Zammad's encoded-word sender
    (RFC 2047 §5)."""
    ticket = solved_ticket(people, level=1)

    line = command(
        hostile(f"Re: [{ticket.ref}] Sev 1", sender="=?utf-8?Q?claire=40acme.example?="),
        tmp_path,
    )

    assert line["outcome"] == "quarantined" and "encoded word" in str(line["reason"])
    untouched(ticket)


@pytest.mark.django_db(transaction=True)
def test_an_ambiguous_from_through_the_smtp_listener(door: smtplib.SMTP) -> None:
    """The SMTP door answers 250 (the mail is ours now) and then holds it."""
    people = make_people()
    ticket = solved_ticket(people, level=1)

    code, reply = send(
        door, hostile(f"Re: [{ticket.ref}] Sev 1", sender=[MALLORY, CLAIRE]), sender=MALLORY
    )

    assert code == 250
    inbound = processed(stored_id(reply))
    assert inbound.status == InboundStatus.QUARANTINED
    assert "2 From: fields" in inbound.reason
    untouched(ticket)


@pytest.mark.django_db(transaction=True)
def test_an_ambiguous_from_through_imap(box: BaseMailBox) -> None:
    """The IMAP poller against a real Dovecot: the held mail leaves the inbox like any other."""
    people = make_people()
    ticket = solved_ticket(people, level=1)
    box.append(hostile(f"Re: [{ticket.ref}] Sev 1", sender=f"Claire <{CLAIRE}> {MALLORY}"), "INBOX")

    assert imap.poll_once(box, imap.ensure_folder(box, PROCESSED)) == 1

    [held] = held_mail()
    assert "text after the address" in held.reason
    untouched(ticket)


# -- Authentication-Results: what our own mail server found ------------------------------------

OUR_MTA = "mx.deskside.test"


def checked(
    dmarc: str, spf: str = "pass", dkim: str = "pass", by: str = OUR_MTA
) -> tuple[str, str]:
    """An Authentication-Results field as an MTA with authserv-id `by` writes it (RFC 8601 §2.2)."""
    return (
        "Authentication-Results",
        f"{by};\r\n\tspf={spf} (sender IP is 203.0.113.9) smtp.mailfrom=acme.example;\r\n"
        f"\tdkim={dkim} header.d=acme.example header.s=s1;\r\n"
        f"\tdmarc={dmarc} (p=quarantine dis=none) header.from=acme.example",
    )


@pytest.fixture
def our_mta(settings) -> str:
    settings.DESKSIDE_AUTHSERV_ID = OUR_MTA
    return OUR_MTA


def reply_of_claire(ticket: Ticket, *headers: tuple[str, str]) -> Result:
    with time_machine.travel(TUESDAY_10, tick=False):
        return pipe(
            hostile(f"Re: [{ticket.ref}] Sev 1 - export fails", headers=headers),
            received_at=TUESDAY_10,
        )


def test_a_forged_reply_that_failed_dmarc_is_held_not_reopening_the_ticket(
    people: People, our_mta: str
) -> None:
    """The flaw of issue #13: a forged From of a known client, that our own MTA marked
    dmarc=fail, reopened her closed ticket at level 1 and alerted every agent (FreeScout #2733,
    GitLab gitlab-org/gitlab #349329). RFC 7489 §6.6.2: the receiver applies the failed check."""
    ticket = solved_ticket(people, level=1)

    result = reply_of_claire(ticket, checked("fail", spf="fail", dkim="none"))

    assert result.outcome == Outcome.QUARANTINED
    assert result.reason == (
        "DMARC failed (spf=fail dkim=none dmarc=fail): the sender may be forged; held for an agent"
    )
    untouched(ticket)
    [held] = held_mail()
    assert held.authentication == "spf=fail dkim=none dmarc=fail"
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]  # one notice, a person decides
    assert mailed_to(CLAIRE) == []  # the real Claire is not told of the forger's mail


def test_spf_and_dkim_failing_without_dmarc_is_held_too(people: People, our_mta: str) -> None:
    """RFC 7208 §2.6.4 (SPF fail: not authorised) with no DKIM signature that passes, and no
    DMARC policy to decide: nothing vouches for the From."""
    ticket = solved_ticket(people, level=1)

    result = reply_of_claire(
        ticket, ("Authentication-Results", f"{OUR_MTA}; spf=fail smtp.mailfrom=acme.example")
    )

    assert result.outcome == Outcome.QUARANTINED
    assert (result.reason or "").startswith("SPF and DKIM failed (spf=fail)")
    untouched(ticket)


def test_results_of_another_server_are_not_believed(people: People, our_mta: str) -> None:
    """RFC 8601 §5: a reader ignores Authentication-Results of authserv-ids it does not trust.
    A forger's own "dmarc=pass" counts for nothing; nor does another relay's "fail"."""
    ticket = solved_ticket(people, level=1)

    result = reply_of_claire(
        ticket,
        checked("pass", by="mx.evil.example"),
        checked("fail", spf="fail", dkim="fail", by="relay.elsewhere.example"),
        checked("pass"),
    )

    assert result.outcome == Outcome.APPENDED
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    message = ticket.messages.filter(direction=Direction.INBOUND).latest("id")
    assert message.authentication == "spf=pass dkim=pass dmarc=pass"


def test_a_forged_pass_under_our_own_id_cannot_hide_our_fail(people: People, our_mta: str) -> None:
    """RFC 8601 §5 asks the MTA to remove fields with its own id from incoming mail; should it
    not, a forger's "dmarc=pass" under our id is merged with the real "fail", and fail wins."""
    ticket = solved_ticket(people, level=1)

    result = reply_of_claire(ticket, checked("fail", spf="fail", dkim="none"), checked("pass"))

    assert result.outcome == Outcome.QUARANTINED
    untouched(ticket)


def test_without_a_configured_server_no_field_is_believed(people: People) -> None:
    """DESKSIDE_AUTHSERV_ID unset: every Authentication-Results field is someone's claim."""
    ticket = solved_ticket(people, level=1)

    result = reply_of_claire(ticket, checked("fail", spf="fail", dkim="fail"))

    assert result.outcome == Outcome.APPENDED
    assert Ticket.objects.get(pk=ticket.pk).messages.latest("id").authentication == ""


def test_a_new_mail_in_a_known_clients_name_that_failed_dmarc_is_held(
    people: People, our_mta: str
) -> None:
    """The same forgery as a new level-1 mail: it would open a ticket in Acme's portal and
    alert every agent."""
    result = pipe(hostile("Sev 1 - production is down", headers=[checked("fail")]))

    assert result.outcome == Outcome.QUARANTINED and "DMARC failed" in (result.reason or "")
    assert Ticket.objects.count() == 0
    assert told(NotificationKind.ESCALATION) == []


def test_a_new_sender_whose_mail_failed_dmarc_gets_a_ticket_but_no_answer(
    people: People, our_mta: str, client: Client
) -> None:
    """django-helpdesk #211 ("spamming to faked submitter emails"): an automatic answer to a
    forged address is backscatter carrying the forger's subject. The ticket is opened (nobody
    is impersonated: the sender is new) and the desk shows the warning on the mail."""
    result = pipe(
        hostile(
            "Sev 3 - buy now", sender="Pieter <pieter@newclient.example>", headers=[checked("fail")]
        )
    )

    assert result.outcome == Outcome.CREATED
    assert "DMARC failed: no automatic answer" in (result.reason or "")
    assert mailed_to("pieter@newclient.example") == []
    client.force_login(people.agent)
    page = client.get(reverse("desk:ticket", args=[result.ticket])).content.decode()
    assert "This mail failed DMARC: the sender may be forged." in page


def test_an_agent_who_vouches_files_the_held_mail_with_its_warning(
    people: People, our_mta: str, client: Client
) -> None:
    """Held, the mail still reaches a person; the agent who knows it is Claire's (she forwards
    through a list that breaks DMARC) files it, and the desk keeps saying it failed."""
    ticket = solved_ticket(people, level=1)
    reply_of_claire(ticket, checked("fail", spf="fail", dkim="none"))
    [held] = held_mail()

    client.force_login(people.agent)
    held_page = client.get(reverse("desk:held_mail", args=[held.pk])).content.decode()
    assert "DMARC failed: the sender may be forged." in held_page
    with time_machine.travel(TUESDAY_10, tick=False):
        result = quarantine.add_sender_and_attach(held, by=people.agent)

    assert (result.outcome, result.ticket) == (Outcome.APPENDED, ticket.ref)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    page = client.get(reverse("desk:ticket", args=[ticket.ref])).content.decode()
    assert "This mail failed DMARC: the sender may be forged." in page


@pytest.mark.django_db(transaction=True)
def test_a_forged_reply_through_the_smtp_listener_is_held(door: smtplib.SMTP, our_mta: str) -> None:
    """Postfix with OpenDMARC in front of the listener adds the field; the door keeps it."""
    people = make_people()
    ticket = solved_ticket(people, level=1)

    code, reply = send(door, hostile(f"Re: [{ticket.ref}] Sev 1", headers=[checked("fail")]))

    assert code == 250
    inbound = processed(stored_id(reply))
    assert inbound.status == InboundStatus.QUARANTINED and "DMARC failed" in inbound.reason
    untouched(ticket)


@pytest.mark.django_db(transaction=True)
def test_gmails_verdict_through_imap_is_believed(box: BaseMailBox, settings) -> None:
    """A Gmail mailbox read over IMAP: Gmail's authserv-id is mx.google.com."""
    settings.DESKSIDE_AUTHSERV_ID = "mx.google.com"
    people = make_people()
    ticket = solved_ticket(people, level=1)
    gmail = checked("fail", spf="softfail", dkim="none", by="mx.google.com")
    box.append(hostile(f"Re: [{ticket.ref}] Sev 1", headers=[gmail]), "INBOX")

    assert imap.poll_once(box, imap.ensure_folder(box, PROCESSED)) == 1

    [held] = held_mail()
    assert held.authentication == "spf=softfail dkim=none dmarc=fail"
    untouched(ticket)
