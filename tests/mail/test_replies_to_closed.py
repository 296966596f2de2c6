"""A client's mail to a closed ticket always reaches a person (docs/protocol.md, "A reply to a
closed ticket"): it reopens the ticket within the level's period and tells whoever has it, opens
a new linked ticket later, and gets the protocol explained again when the ticket still lacks a
level. Driven through raw bytes, as the doors deliver them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.mail.models import InboundMail, InboundStatus, Outcome
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import (
    CloseReason,
    EventKind,
    LinkKind,
    Notification,
    NotificationKind,
    SeverityLevel,
    Status,
    Ticket,
    TicketLink,
)
from tests.core.test_suggested_subject import REFUSED
from tests.mail.test_intake import mail, run, ticket_of
from tests.people import People

pytestmark = pytest.mark.django_db

BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BXL)
TUESDAY_10 = datetime(2026, 3, 3, 10, 0, tzinfo=BXL)
# Ten business days after Monday 2 March 11:00 is Monday 16 March 11:00.
TUESDAY_17_MARCH = datetime(2026, 3, 17, 10, 0, tzinfo=BXL)


@pytest.fixture(autouse=True)
def _monday_morning() -> Iterator[None]:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def solved_ticket(people: People, *, assignee: bool = True, level: int = 3) -> Ticket:
    """A ticket opened by mail on Monday 10:00, answered and closed as solved at 11:00."""
    ticket = ticket_of(run(mail(f"Sev {level} - export fails"), received_at=MONDAY_10))
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        if assignee:
            actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
        actions.reply(ticket, "Fixed: the export runs again.", by=actions.Actor.staff(people.agent))
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    Notification.objects.all().delete()  # only what the client's reply brings counts below
    OutboundMail.objects.all().delete()
    return ticket


def reply_to(ticket: Ticket, subject: str, at: datetime):
    with time_machine.travel(at, tick=False):
        return run(mail(f"Re: [{ticket.ref}] {subject}"), received_at=at)


def outbox(ref: str) -> list[OutboundMail]:
    """What the client was sent about ticket `ref` (staff notices left out)."""
    return list(OutboundMail.objects.filter(ticket_ref=ref, primary_to="claire@acme.example"))


def told(kind: NotificationKind) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", "title"))


def test_a_reply_within_the_period_reopens_and_tells_the_assignee(people: People) -> None:
    ticket = solved_ticket(people)

    result = reply_to(ticket, "it fails again", TUESDAY_10)

    assert (result.outcome, result.ticket, result.severity) == (Outcome.APPENDED, ticket.ref, 3)
    assert "reopened" in (result.reason or "")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason, ticket.severity) == (Status.OPEN, "", 3)
    assert ticket.in_queue
    reopened = ticket.events.get(kind=EventKind.REOPENED)
    assert reopened.data["was"] == CloseReason.SOLVED
    assert reopened.data["reason"] == "the client wrote 7 h of business time after the close"
    assert told(NotificationKind.CLIENT_MESSAGE) == [
        ("alice", f"[{ticket.ref}] Your client's reply reopened the ticket: Sev 3 - export fails")
    ]
    [staff_mail] = OutboundMail.objects.filter(purpose="client_message")
    assert staff_mail.to == ["alice@ccs2.test"]
    assert "it fails again" not in staff_mail.subject
    assert f"http://127.0.0.1:8000/desk/ticket/{ticket.ref}/" in staff_mail.text


def test_a_reply_to_an_unassigned_closed_ticket_tells_the_agents_on_duty(people: People) -> None:
    ticket = solved_ticket(people, assignee=False)

    reply_to(ticket, "one more question", TUESDAY_10)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert [u for u, _ in told(NotificationKind.CLIENT_MESSAGE)] == ["alice", "bob"]


def test_a_reopened_urgent_ticket_without_an_assignee_is_escalated_once(people: People) -> None:
    ticket = solved_ticket(people, assignee=False, level=1)

    reply_to(ticket, "down again", TUESDAY_10)

    assert [u for u, _ in told(NotificationKind.ESCALATION)] == ["alice", "bob"]
    assert told(NotificationKind.CLIENT_MESSAGE) == []


def test_a_reply_after_the_period_opens_a_new_ticket_linked_both_ways(people: People) -> None:
    old = solved_ticket(people)

    result = reply_to(old, "Sev 2 - the export fails again", TUESDAY_17_MARCH)

    assert result.outcome == Outcome.CREATED
    new = ticket_of(result)
    assert new.pk != old.pk
    assert (new.status, new.severity, new.subject) == (
        Status.NEW,
        2,
        "Sev 2 - the export fails again",
    )
    old.refresh_from_db()
    assert old.status == Status.CLOSED
    assert TicketLink.objects.filter(source=new, target=old, kind=LinkKind.FOLLOW_UP).exists()
    assert new.events.get(kind=EventKind.LINKED).data == {"follows": old.ref}
    assert old.events.get(kind=EventKind.LINKED).data == {"followed_by": new.ref}
    assert [m.purpose for m in outbox(new.ref)] == ["acknowledgement"]
    assert told(NotificationKind.CLIENT_MESSAGE) == [
        (
            "alice",
            f"[{new.ref}] Your client wrote again after {old.ref} was closed (a new ticket): "
            "Sev 2 - the export fails again",
        )
    ]


def test_a_late_reply_without_a_level_opens_a_ticket_closed_with_the_explanation(
    people: People,
) -> None:
    old = solved_ticket(people)

    result = reply_to(old, "thanks again", TUESDAY_17_MARCH)

    assert result.outcome == Outcome.REJECTED
    new = ticket_of(result)
    assert (new.status, new.close_reason, new.subject) == (
        Status.CLOSED,
        CloseReason.NO_SEVERITY,
        "thanks again",
    )
    assert new.links_out.get().target == old
    [explanation] = outbox(new.ref)
    assert explanation.purpose == "protocol"
    assert '"Ernst 2 - thanks again"' in explanation.text


def test_the_reopening_period_is_set_per_level(people: People) -> None:
    SeverityLevel.objects.filter(level=3).update(reopen_within=timedelta(hours=4))
    policy.clear()
    old = solved_ticket(people)

    # Monday 11:00 + 4 business hours = Monday 15:00: Tuesday is too late for level 3.
    result = reply_to(old, "Sev 3 - still there", TUESDAY_10)

    assert result.outcome == Outcome.CREATED
    assert ticket_of(result).links_out.get().target == old


def test_a_resolved_ticket_reopens_on_an_answer_and_the_assignee_is_told(people: People) -> None:
    ticket = ticket_of(run(mail("Sev 3 - export fails"), received_at=MONDAY_10))
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    actions.reply(ticket, "Try again now.", by=actions.Actor.staff(people.agent))
    actions.resolve(ticket, "The export works again.", by=actions.Actor.staff(people.agent))
    Notification.objects.all().delete()

    reply_to(ticket, "no, it still fails", TUESDAY_10)

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert [u for u, _ in told(NotificationKind.CLIENT_MESSAGE)] == ["alice"]


def test_a_reply_without_a_level_over_the_cap_is_held_for_a_person(people: People) -> None:
    ticket = ticket_of(run(mail("export fails")))
    for n in range(4):  # the first mail's explanation and four more: five answers in the hour
        reply_to(ticket, f"what level? {n}", MONDAY_10 + timedelta(minutes=n + 1))
    assert len(outbox(ticket.ref)) == 5

    result = reply_to(ticket, "hello?", MONDAY_10 + timedelta(minutes=10))

    assert result.outcome == Outcome.QUARANTINED
    assert "held for an agent" in (result.reason or "")
    held = InboundMail.objects.get(status=InboundStatus.QUARANTINED)
    assert held.subject == f"Re: [{ticket.ref}] hello?"
    assert len(outbox(ticket.ref)) == 5


def test_an_out_of_office_reply_to_a_closed_ticket_is_kept_without_reopening(
    people: People,
) -> None:
    ticket = solved_ticket(people)

    with time_machine.travel(TUESDAY_10, tick=False):
        result = run(
            mail(f"Re: [{ticket.ref}] Out of office", headers={"Auto-Submitted": "auto-replied"}),
            received_at=TUESDAY_10,
        )

    assert result.outcome == Outcome.APPENDED
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert Notification.objects.count() == 0


# -- following our own instructions ---------------------------------------------------------------

SUGGESTED = re.compile(r'"([^"]+)"\. (?:Uw antwoord|Your reply)')


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_a_reply_with_the_suggested_subject_reopens_the_ticket(people: People, case) -> None:
    ticket = ticket_of(run(mail(case.subject)))
    [explanation] = outbox(ticket.ref)
    match = SUGGESTED.search(explanation.text)
    assert match, explanation.text
    suggested = match.group(1)

    result = run(mail(f"Re: [{ticket.ref}] {suggested}"))

    assert (result.ticket, result.severity, result.reason) == (
        ticket.ref,
        2,
        "reopened at severity 2",
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity) == (Status.OPEN, 2)
