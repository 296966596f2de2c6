"""Every way a client's mail or portal message can end, walked one by one: each ends on an open
ticket (the queue, where agents look, with its assignee told), in held mail (a person decides),
or with an answer to the sender; mail that no person wrote (an out-of-office, a bounce) is kept
with its reason, and a bounce tells the person who must reach the client another way. None ends
silently (docs/protocol.md, "A reply to a closed ticket" and "Who is told")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from deskside.mail.models import InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail
from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import (
    CloseReason,
    Notification,
    NotificationKind,
    Ticket,
)
from tests.mail.test_intake import dsn, mail, run, ticket_of
from tests.people import People

pytestmark = pytest.mark.django_db

BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BXL)
CLAIRE = "claire@acme.example"


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


@dataclass(frozen=True)
class Ending:
    """Where one message ended: the ticket it is on (if any) and the mail's row (if mail)."""

    ticket: Ticket | None
    inbound: InboundMail | None = None


def answered(address: str, since_id: int) -> bool:
    return OutboundMail.objects.filter(id__gt=since_id, primary_to=address.lower()).exists()


def told(ticket: Ticket, kind: NotificationKind) -> list[str]:
    found = Notification.objects.filter(ticket=ticket, kind=kind)
    return sorted(found.values_list("user__username", flat=True))


# -- the situations -------------------------------------------------------------------------------


def new_ticket(people: People, subject: str = "Sev 3 - export fails") -> Ticket:
    return ticket_of(run(mail(subject)))


def assigned(people: People, subject: str = "Sev 3 - export fails") -> Ticket:
    ticket = new_ticket(people, subject)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    actions.reply(ticket, "We are on it.", by=actions.Actor.staff(people.agent))
    return ticket


def solved(people: People) -> Ticket:
    ticket = assigned(people)
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    return ticket


def without_level(people: People) -> Ticket:
    return new_ticket(people, "export fails")


def reply(ticket: Ticket, subject: str = "more details", **kwargs: object) -> Ending:
    result = run(mail(f"Re: [{ticket.ref}] {subject}", **kwargs))  # type: ignore[arg-type]
    return ending(result)


def ending(result) -> Ending:
    inbound = InboundMail.objects.order_by("-id").first()
    ticket = Ticket.objects.get(pk=int(result.ticket.split("-")[1])) if result.ticket else None
    return Ending(ticket, inbound)


def use_up_the_answers(people: People, ticket: Ticket) -> None:
    for n in range(5):
        run(mail(f"Re: [{ticket.ref}] hello {n}"))


# -- the walk -------------------------------------------------------------------------------------


def on_an_open_ticket(end: Ending, *, assignee_told: bool = False) -> None:
    assert end.ticket is not None
    end.ticket.refresh_from_db()
    assert end.ticket.is_open() and end.ticket.in_queue, end
    if assignee_told:
        assert told(end.ticket, NotificationKind.CLIENT_MESSAGE) == ["alice"]


def held(end: Ending) -> None:
    assert end.inbound is not None
    assert end.inbound.status == InboundStatus.QUARANTINED, end.inbound.reason
    assert end.inbound.reason
    # Someone is told (deskside/mail/held.py): the agent of the ticket it claims, or the duty.
    assert Notification.objects.filter(kind=NotificationKind.HELD_MAIL, read_at=None).exists()


def answered_and_kept(end: Ending, since_id: int) -> None:
    assert end.ticket is not None
    assert answered(CLAIRE, since_id), "the sender was told nothing"


def test_a_new_mail_with_a_level_is_in_the_queue(people):
    on_an_open_ticket(ending(run(mail("Sev 2 - export fails"))))


def test_a_new_mail_without_a_level_is_answered(people):
    end = ending(run(mail("export fails")))
    answered_and_kept(end, since_id=0)


def test_a_new_mail_without_a_level_over_the_cap_is_held(people):
    for n in range(5):
        run(mail(f"question {n}"))
    held(ending(run(mail("question 6"))))


def test_a_new_mail_with_a_level_over_the_cap_is_in_the_queue(people):
    for n in range(5):
        run(mail(f"question {n}"))
    on_an_open_ticket(ending(run(mail("Sev 3 - question 6"))))


def test_a_reply_to_an_open_ticket_reaches_its_assignee(people):
    on_an_open_ticket(reply(assigned(people)), assignee_told=True)


def test_a_reply_to_a_ticket_waiting_on_the_client_opens_it(people):
    ticket = assigned(people)
    actions.propose_steps(ticket, "Restart it.", by=actions.Actor.staff(people.agent))
    on_an_open_ticket(reply(ticket, "done"), assignee_told=True)


def test_a_reply_to_a_resolved_ticket_opens_it(people):
    ticket = assigned(people)
    actions.reply(ticket, "Restarted the export.", by=actions.Actor.staff(people.agent))
    actions.resolve(ticket, "The export works again.", by=actions.Actor.staff(people.agent))
    on_an_open_ticket(reply(ticket, "still broken"), assignee_told=True)


def test_a_reply_with_a_level_to_a_ticket_closed_without_one_opens_it(people):
    on_an_open_ticket(reply(without_level(people), "Sev 2 - export fails"))


def test_a_reply_without_a_level_to_a_ticket_closed_without_one_is_answered(people):
    ticket = without_level(people)
    since = OutboundMail.objects.latest("id").id
    answered_and_kept(reply(ticket, "why?"), since)


def test_that_reply_over_the_cap_is_held(people):
    ticket = without_level(people)
    use_up_the_answers(people, ticket)
    held(reply(ticket, "hello?"))


def test_a_reply_to_a_solved_ticket_within_the_period_reopens_it(people):
    ticket = solved(people)
    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        end = reply(ticket, "it broke again")
    assert end.ticket == ticket
    on_an_open_ticket(end)
    assert told(ticket, NotificationKind.CLIENT_MESSAGE) == ["alice"]


def test_a_reply_to_a_solved_ticket_after_the_period_opens_a_new_one(people):
    ticket = solved(people)
    with time_machine.travel(MONDAY_10 + timedelta(days=30), tick=False):
        end = reply(ticket, "Sev 3 - again")
    assert end.ticket != ticket
    on_an_open_ticket(end)
    assert end.ticket is not None
    assert told(end.ticket, NotificationKind.CLIENT_MESSAGE) == ["alice"]


def test_a_late_reply_without_a_level_opens_a_ticket_and_is_answered(people):
    ticket = solved(people)
    since = OutboundMail.objects.latest("id").id
    with time_machine.travel(MONDAY_10 + timedelta(days=30), tick=False):
        end = reply(ticket, "thanks")
    assert end.ticket != ticket
    answered_and_kept(end, since)


@pytest.mark.parametrize(
    "sender",
    ["Jan New <jan.new@acme.example>", "Mallory <mallory@elsewhere.example>"],
    ids=["unknown colleague", "stranger"],
)
def test_a_reply_from_someone_the_ticket_does_not_know_is_held(people, sender):
    held(reply(assigned(people), sender=sender))


def test_an_unreadable_mail_is_held(people):
    result = run(b"\x00\x01 not a mail at all")
    held(ending(result))


def test_a_duplicate_ends_where_the_first_delivery_did(people):
    raw = mail("Sev 3 - twice", message_id="twice@acme.example")
    first = run(raw)
    second = run(raw)
    assert (second.outcome, second.ticket) == (Outcome.DUPLICATE, first.ticket)
    on_an_open_ticket(ending(second))


def test_an_out_of_office_to_an_open_ticket_is_kept_on_it(people):
    ticket = assigned(people)
    end = reply(ticket, "Out of office", headers={"Auto-Submitted": "auto-replied"})
    on_an_open_ticket(end)
    assert told(ticket, NotificationKind.CLIENT_MESSAGE) == []  # no person wrote it


def test_automatic_mail_to_no_ticket_is_kept_with_its_reason(people):
    """No person wrote it and no ticket asks for it: kept (raw bytes and reason, in the admin),
    answered by nobody (RFC 3834), and no person is disturbed."""
    result = run(mail("Out of office", headers={"Auto-Submitted": "auto-replied"}))
    assert result.outcome == Outcome.IGNORED and result.reason
    assert InboundMail.objects.get().status == InboundStatus.PROCESSED


def test_a_bounce_of_our_mail_tells_whoever_has_the_ticket(people):
    ticket = assigned(people)
    ours = OutboundMail.objects.filter(ticket_ref=ticket.ref, purpose="reply").get()

    result = run(dsn(ours.message_id, CLAIRE))

    assert result.ticket == ticket.ref
    assert told(ticket, NotificationKind.DELIVERY_FAILED) == ["alice"]


# -- the portal -----------------------------------------------------------------------------------


def portal(people: People) -> Client:
    client = Client()
    client.force_login(user_for(people.client))
    return client


def test_a_portal_ticket_is_in_the_queue(people):
    answer = portal(people).post(
        "/portal/new/", {"subject": "Export", "level": "3", "description": "It fails."}
    )
    assert answer.status_code == 302
    on_an_open_ticket(Ending(Ticket.objects.get()))


def test_a_portal_reply_reaches_the_assignee(people):
    ticket = assigned(people)
    portal(people).post(f"/portal/ticket/{ticket.ref}/", {"text": "Any news?"})
    on_an_open_ticket(Ending(ticket), assignee_told=True)


@pytest.mark.parametrize("days", [1, 30], ids=["within the period", "after it"])
def test_a_portal_reply_to_a_closed_ticket_reaches_a_person(people, days):
    ticket = solved(people)
    with time_machine.travel(MONDAY_10 + timedelta(days=days), tick=False):
        portal(people).post(f"/portal/ticket/{ticket.ref}/", {"text": "Again.", "level": "3"})
    newest = Ticket.objects.latest("id")
    on_an_open_ticket(Ending(newest))
    assert told(newest, NotificationKind.CLIENT_MESSAGE) == ["alice"]
