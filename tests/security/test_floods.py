"""Floods: caps on new tickets (per address, organisation and domain), on automatic answers
(per address, domain and organisation) and on alerts (per person), repeats coalesced into one
ticket, and the administrators told when a cap trips, with nothing dropped: what a cap stops
waits under Held mail, or in the portal form it came from (docs/mail-doors.md, Floods).

Every test names the advisory or issue it comes from and asserts what a person sees: how many
tickets, what is held, who was told and how often, what was mailed."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from imap_tools import BaseMailBox

from deskside.accounts.models import Contact
from deskside.mail import floods as mail_floods
from deskside.mail import imap, quarantine
from deskside.mail.intake import ingest_many
from deskside.mail.models import Door, Outcome
from deskside.outbox.models import OutboundMail
from deskside.tickets import floods
from deskside.tickets.models import FloodAlarm, Notification, NotificationKind, Ticket
from tests.mail.test_imap_door import PROCESSED
from tests.mail.test_smtp_door import processed, send, stored_id
from tests.people import People, make_people
from tests.portal.conftest import signed_in
from tests.security.doors import CLAIRE, MONDAY_10, held_mail, hostile, mailed_to, pipe, told

pytestmark = pytest.mark.django_db

ONE_HOUR_LATER = MONDAY_10 + timedelta(hours=1, minutes=1)


@pytest.fixture(autouse=True)
def _monday() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def flood(count: int, subject: str = "Sev 3 - question {n}", **kwargs: object) -> list[Outcome]:
    """`count` mails through the pipe door's batch path (`deskside ingest` with many files)."""
    raws = [hostile(subject.format(n=n), **kwargs) for n in range(count)]  # type: ignore[arg-type]
    return [result.outcome for result in ingest_many(raws, door=Door.PIPE)]


def admins_told() -> list[str]:
    return [n.title for n in Notification.objects.filter(kind=NotificationKind.FLOOD)]


# -- one sender ---------------------------------------------------------------------------------


def test_two_hundred_mails_from_one_sender_make_ten_tickets(people: People) -> None:
    """FreeScout #3670 and #4143: a loop or a script turned one sender's mail into thousands of
    conversations. Past NEW_TICKETS_PER_ADDRESS an hour the mails are held, not dropped: the
    agents on duty see one rewritten notice, the lead hears once that the cap tripped."""
    outcomes = flood(200, sender=f"Claire <{CLAIRE}>")

    assert outcomes.count(Outcome.CREATED) == floods.NEW_TICKETS_PER_ADDRESS
    assert outcomes.count(Outcome.QUARANTINED) == 190
    assert Ticket.objects.count() == 10 and len(held_mail()) == 190
    assert held_mail()[0].reason.startswith(
        "flood: Claire@Acme.example opened 10 tickets in the last hour (the cap is 10)"
    )
    assert told(NotificationKind.HELD_MAIL) == ["alice", "bob"]  # one notice each, rewritten
    assert admins_told() == [
        "Flood: Claire@Acme.example opened 10 tickets in the last hour (the cap is 10): "
        "further mail held"
    ]
    assert len(mailed_to(CLAIRE)) <= 5  # the hour's automatic answers to her, at most


def test_a_held_mail_of_a_flood_is_one_decision_from_its_ticket(people: People) -> None:
    """Nothing is dropped: the eleventh mail was real, and the agent who opens it as a new
    ticket is not stopped by the cap (docs/mail-doors.md, Held mail)."""
    flood(11, sender=CLAIRE)
    [eleventh] = held_mail()

    result = quarantine.make_ticket(eleventh, by=people.agent)

    assert result.outcome == Outcome.CREATED and Ticket.objects.count() == 11
    assert Ticket.objects.get(pk=int(str(result.ticket).split("-")[1])).subject == (
        "Sev 3 - question 10"
    )


def test_the_cap_is_an_hour_and_the_administrators_hear_again_after_it(people: People) -> None:
    flood(11, sender=CLAIRE)

    with time_machine.travel(ONE_HOUR_LATER, tick=False):
        outcomes = flood(11, subject="Sev 3 - later {n}", sender=CLAIRE)

    assert outcomes.count(Outcome.CREATED) == 10 and Ticket.objects.count() == 20
    assert len(admins_told()) == 2  # once an hour
    assert FloodAlarm.objects.get().key == "tickets:address:claire@acme.example"


def test_repeats_of_one_mail_become_one_ticket(people: People) -> None:
    """FreeScout #3670: each repeat opened a conversation with its own automatic answer. The
    same sender with the same subject within the hour is the first ticket's reply: one ticket,
    every mail on it, one acknowledgement."""
    outcomes = flood(30, subject="Sev 2 - the export fails", sender=CLAIRE)

    assert outcomes == [Outcome.CREATED] + [Outcome.APPENDED] * 29
    ticket = Ticket.objects.get()
    assert ticket.messages.filter(direction="inbound").count() == 30
    assert [m.purpose for m in mailed_to(CLAIRE)] == ["acknowledgement"]
    assert held_mail() == []


@pytest.mark.django_db(transaction=True)
def test_a_repeat_through_the_smtp_listener_joins_the_first_ticket(door: smtplib.SMTP) -> None:
    """The SMTP door: two deliveries of one message with new Message-IDs (a client's retry)."""
    make_people()
    first = processed(stored_id(send(door, hostile("Sev 2 - the export fails"))[1]))
    door.rset()
    second = processed(stored_id(send(door, hostile("Sev 2 -  the EXPORT fails"))[1]))

    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.APPENDED)
    assert second.ticket == first.ticket and Ticket.objects.count() == 1
    assert second.reason.startswith(f"a repeat of {first.ticket.ref}")  # type: ignore[union-attr]


@pytest.mark.django_db(transaction=True)
def test_a_flood_polled_over_imap_leaves_the_inbox_and_waits_under_held_mail(
    box: BaseMailBox,
) -> None:
    """Through Dovecot: all thirty leave the inbox (Deskside keeps them); ten are tickets."""
    make_people()
    for n in range(30):
        box.append(hostile(f"Sev 3 - question {n}"), "INBOX")

    assert imap.poll_once(box, imap.ensure_folder(box, PROCESSED)) == 30

    assert Ticket.objects.count() == 10 and len(held_mail()) == 20


# -- one domain, one organisation ---------------------------------------------------------------


def test_sixty_forged_addresses_at_one_domain_get_no_flood_of_answers(people: People) -> None:
    """django-helpdesk #211 ("spamming to faked submitter emails") and GitLab's "Ticket Trick"
    (gitlab-org/gitlab-foss #30366): every forged sender got an answer echoing the attacker's
    subject. Past NEW_TICKETS_PER_DOMAIN an hour (senders outside any organisation) the mail
    is held, and AUTO_ANSWERS_PER_DOMAIN bounds every automatic answer there."""
    raws = [
        hostile("Sev 3 - WIN A PRIZE at evil.example", sender=f"victim{n}@victim.example")
        for n in range(60)
    ]

    outcomes = [r.outcome for r in ingest_many(raws, door=Door.PIPE)]

    assert outcomes.count(Outcome.CREATED) == mail_floods.NEW_TICKETS_PER_DOMAIN
    assert outcomes.count(Outcome.QUARANTINED) == 40
    answers = OutboundMail.objects.filter(primary_domain="victim.example")
    assert answers.count() == mail_floods.AUTO_ANSWERS_PER_DOMAIN
    assert sorted(admins_told()) == [
        "Flood: 20 tickets from senders at victim.example outside any organisation in the last "
        "hour (the cap is 20): further mail held",
        "Flood: 30 automatic answers to victim.example in the last hour: no more automatic "
        "answers there",
    ]


def test_an_organisations_flood_is_capped_and_acknowledged_thirty_times(people: People) -> None:
    """A whole client (a broken monitoring script at every desk) counts as one: past
    AUTO_ANSWERS_PER_ORGANISATION its new tickets open unanswered, past
    NEW_TICKETS_PER_ORGANISATION they wait for a person."""
    for n in range(8):
        Contact.objects.create(email=f"desk{n}@acme.example", organisation=people.acme)
    raws = [hostile(f"Sev 4 - disk {n}", sender=f"desk{n % 8}@acme.example") for n in range(64)]

    outcomes = [r.outcome for r in ingest_many(raws, door=Door.PIPE)]

    assert outcomes.count(Outcome.CREATED) == floods.NEW_TICKETS_PER_ORGANISATION
    assert outcomes.count(Outcome.QUARANTINED) == 4
    acks = OutboundMail.objects.filter(purpose="acknowledgement")
    assert acks.count() == floods.AUTO_ANSWERS_PER_ORGANISATION
    assert any(t.startswith("Flood: Acme Antwerp opened 60 tickets") for t in admins_told())


# -- the portal ---------------------------------------------------------------------------------


def test_the_portal_takes_ten_tickets_an_hour_and_keeps_the_eleventh(people: People) -> None:
    """Issue #13: 1,000 portal submissions were all accepted. The eleventh of the hour is
    refused with a sentence in the client's language, her text still in the form, and the
    lead hears of it once."""
    client = signed_in(people.client)
    for n in range(10):
        answer = client.post(
            "/portal/new/", {"subject": f"Vraag {n}", "description": "Iets.", "level": "3"}
        )
        assert answer.status_code == 302

    refused = client.post(
        "/portal/new/", {"subject": "Vraag 11", "description": "Mijn lange uitleg.", "level": "3"}
    )
    client.post("/portal/new/", {"subject": "Vraag 12", "description": "Nog een.", "level": "3"})

    page = refused.content.decode()
    assert refused.status_code == 200 and "U of uw organisatie opende het voorbije uur" in page
    assert "Mijn lange uitleg." in page  # nothing lost
    assert Ticket.objects.count() == 10
    assert admins_told() == [
        "Flood: Claire@Acme.example opened 10 tickets in the last hour (the cap is 10): the "
        "portal refuses more"
    ]


# -- alerts -------------------------------------------------------------------------------------


def test_fifty_level_one_tickets_alert_each_agent_ten_times_and_sum_up_the_rest(
    people: People,
) -> None:
    """Issue #13: 50 level-1 portal tickets sent 50 alerts to every agent. Past ALERTS_PER_HOUR
    a person gets one notice (and one mail) that grows a line per ticket, unread again."""
    writers = [people.client, people.colleague] + [
        Contact.objects.create(email=f"staff{n}@acme.example", organisation=people.acme)
        for n in range(3)
    ]
    for writer in writers:
        client = signed_in(writer)
        for n in range(10):
            client.post(
                "/portal/new/", {"subject": f"Down {n}", "description": "Down.", "level": "1"}
            )

    assert Ticket.objects.filter(severity=1).count() == 50
    alice = Notification.objects.filter(user=people.agent, kind=NotificationKind.ESCALATION)
    assert alice.count() == floods.ALERTS_PER_HOUR + 1
    summary = alice.order_by("-id").first()
    assert summary is not None and summary.title.startswith("40 more this hour")
    assert summary.text.count("\n") == 39 and summary.read_at is None
    mails = [
        m for m in OutboundMail.objects.filter(purpose="escalation") if "alice@ccs2.test" in m.to
    ]
    assert len(mails) == floods.ALERTS_PER_HOUR + 1
    assert [t for t in admins_told() if "an hour of" in t] == [
        "Flood: more than 10 an hour of 'A level-1 or level-2 ticket needs an agent'"
    ]


# -- fast: one indexed query per cap ------------------------------------------------------------


def test_each_cap_is_one_query_on_its_own_index(people: People) -> None:
    """The caps must not slow the intake down: a new mail from a known contact of an
    organisation, and one from a stranger, read each cap with one query, and (on SQLite, whose
    planner takes an index without statistics) on its own index."""
    pipe(hostile("Sev 3 - first"))
    with CaptureQueriesContext(connection) as known:
        pipe(hostile("Sev 3 - second"))
    with CaptureQueriesContext(connection) as stranger:
        pipe(hostile("Sev 3 - hello", sender="pieter@newclient.example"))
    checks = [
        (known, "ticket_contact_recent", '"contact_id" = '),
        (known, "ticket_org_recent", '"organisation_id" = '),
        (stranger, "inbound_domain_recent", '"sender_domain" = '),
        (stranger, "outbox_domain", '"primary_domain" = '),
    ]

    for captured, index, column in checks:
        [sql] = [
            q["sql"]
            for q in captured.captured_queries
            if column in q["sql"] and q["sql"].startswith("SELECT")
        ]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = " ".join(str(part) for row in cursor.fetchall() for part in row)
            assert index in plan, plan
