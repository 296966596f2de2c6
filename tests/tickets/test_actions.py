"""The state machine: every legal change works and leaves its Event; every illegal one is
refused with a sentence that says why."""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.core.errors import ErrorCode
from deskside.tickets import actions
from deskside.tickets.actions import ActionError, Actor, NewMessage
from deskside.tickets.evidence import EVIDENCE_REASONS
from deskside.tickets.models import (
    CloseReason,
    Direction,
    EventKind,
    MessageKind,
    Milestone,
    Status,
    Ticket,
)
from tests.refusals import refused

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)

pytestmark = pytest.mark.django_db


def first_mail(people, subject="[Sev 2] Export fails", **kwargs):
    defaults = {
        "contact": people.client,
        "subject": subject,
        "claimed_severity": 2,
        "received_at": MONDAY_10,
        "message": NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="The export fails since this morning.",
            sender=people.client.email,
            subject=subject,
        ),
    }
    return actions.open_ticket(**(defaults | kwargs))


def kinds(ticket):
    return list(ticket.events.order_by("id").values_list("kind", flat=True))


@time_machine.travel(MONDAY_10, tick=False)
def test_new_mail_with_a_level_opens_a_new_ticket(people):
    ticket = first_mail(people)
    assert ticket.status == Status.NEW
    assert (ticket.claimed_severity, ticket.severity) == (2, 2)
    assert ticket.organisation == people.acme
    assert ticket.language == "nl"  # the contact's
    assert ticket.ref == f"CCS-{ticket.pk}"
    assert kinds(ticket) == [EventKind.CREATED, EventKind.ESCALATED]  # level 2: see issue 6
    assert ticket.messages.get().direction == Direction.INBOUND


@time_machine.travel(MONDAY_10, tick=False)
@pytest.mark.parametrize("problem", [CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY])
def test_mail_without_a_valid_level_is_kept_closed(people, problem):
    ticket = first_mail(people, subject="Export fails", claimed_severity=None, problem=problem)
    assert ticket.status == Status.CLOSED
    assert ticket.close_reason == problem
    assert ticket.severity is None
    assert kinds(ticket) == [EventKind.CREATED, EventKind.CLOSED]
    assert ticket.messages.count() == 1  # nothing is dropped


@pytest.mark.parametrize("level", [0, 5, -1, None, "2", 2.0, True])
def test_a_level_outside_1_to_4_is_refused(people, level):
    with refused(ErrorCode.LEVEL_OUT_OF_RANGE):
        first_mail(people, claimed_severity=level)
    assert Ticket.objects.count() == 0


def test_a_new_ticket_cannot_be_closed_for_another_reason(people):
    with refused(ErrorCode.OPENED_CLOSED_AS):
        first_mail(people, claimed_severity=None, problem=CloseReason.SOLVED)


@time_machine.travel(MONDAY_10, tick=False)
def test_agent_reply_opens_the_ticket_and_is_public(people):
    ticket = first_mail(people)
    message = actions.reply(
        ticket, "Could you send the log?", by=actions.Actor.staff(people.agent)
    ).posted
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert message.direction == Direction.OUTBOUND
    assert message.subject == f"[{ticket.ref}] [Sev 2] Export fails"
    assert kinds(ticket)[-1] == EventKind.MESSAGE


def test_empty_reply_and_note_are_refused(people):
    ticket = first_mail(people)
    with refused(ErrorCode.EMPTY_REPLY):
        actions.reply(ticket, "  ", by=actions.Actor.staff(people.agent))
    with refused(ErrorCode.EMPTY_NOTE):
        actions.add_note(ticket, "", by=actions.Actor.staff(people.agent))


def test_internal_note_is_internal_and_keeps_the_status(people):
    ticket = first_mail(people)
    note = actions.add_note(
        ticket, "Customer is on version 4.2", by=actions.Actor.staff(people.agent)
    ).posted
    ticket.refresh_from_db()
    assert note.direction == Direction.INTERNAL
    assert ticket.status == Status.NEW


def test_close_needs_a_known_reason(people):
    ticket = first_mail(people)
    with refused(ErrorCode.REASON_REQUIRED):
        actions.close(ticket, "", by=Actor.staff(people.agent))
    with pytest.raises(ActionError, match="'because' is not a close reason"):
        actions.close(ticket, "because", by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


# The cooperation reasons need evidence first: tests/tickets/test_cooperation.py closes with them.
@pytest.mark.parametrize("reason", [r for r in CloseReason if r not in EVIDENCE_REASONS])
def test_every_close_reason_closes_with_an_event(people, reason):
    ticket = first_mail(people)
    actions.close(ticket, reason, by=Actor.staff(people.agent), note="see history")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, reason)
    event = ticket.events.filter(kind=EventKind.CLOSED).get()
    assert (event.kind, event.data["reason"], event.actor) == (
        EventKind.CLOSED,
        reason,
        people.agent,
    )


def test_closing_twice_is_refused(people):
    ticket = first_mail(people)
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    with refused(ErrorCode.ALREADY_CLOSED):
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.WAITING_ON_CLIENT])
def test_only_a_closed_or_resolved_ticket_can_be_reopened(people, status):
    ticket = first_mail(people)
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    with refused(ErrorCode.NOT_REOPENABLE):
        actions.reopen(ticket, by=Actor.staff(people.agent), reason="client asked")


def test_reopen_needs_a_reason_and_clears_the_close_reason(people):
    ticket = first_mail(people)
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    with refused(ErrorCode.REASON_REQUIRED):
        actions.reopen(ticket, by=Actor.staff(people.agent), reason=" ")
    actions.reopen(ticket, by=Actor.staff(people.agent), reason="problem is back")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason, ticket.closed_at) == (Status.OPEN, "", None)
    assert ticket.events.filter(kind=EventKind.REOPENED).get().data["was"] == CloseReason.SOLVED


def test_a_ticket_without_level_reopens_only_with_one(people):
    ticket = first_mail(
        people, subject="Help", claimed_severity=None, problem=CloseReason.NO_SEVERITY
    )
    with refused(ErrorCode.NO_SEVERITY):
        actions.reopen(ticket, by=Actor.client(people.client), reason="reply")
    with refused(ErrorCode.LEVEL_OUT_OF_RANGE):
        actions.reopen(ticket, by=Actor.client(people.client), reason="reply", severity=7)
    actions.reopen(ticket, by=Actor.client(people.client), reason="reply with a level", severity=1)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.claimed_severity, ticket.severity) == (Status.OPEN, 1, 1)


def test_reassess_keeps_the_claimed_level_and_needs_a_reason(people):
    ticket = first_mail(people)
    with refused(ErrorCode.REASON_REQUIRED):
        actions.reassess(ticket, 3, reason="", by=Actor.staff(people.agent))
    with refused(ErrorCode.LEVEL_OUT_OF_RANGE):
        actions.reassess(ticket, 5, reason="typo", by=Actor.staff(people.agent))
    with refused(ErrorCode.ALREADY_AT_LEVEL):
        actions.reassess(ticket, 2, reason="same", by=Actor.staff(people.agent))
    actions.reassess(ticket, 3, reason="one user only", by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert (ticket.claimed_severity, ticket.severity) == (2, 3)
    event = ticket.events.last()
    assert event.data == {"was": 2, "level": 3, "reason": "one user only"}


def test_closed_ticket_cannot_be_reassessed_or_replied(people):
    ticket = first_mail(people)
    actions.close(ticket, CloseReason.OUT_OF_SCOPE, by=Actor.staff(people.agent))
    with refused(ErrorCode.TICKET_CLOSED):
        actions.reassess(ticket, 1, reason="x", by=Actor.staff(people.agent))
    with refused(ErrorCode.TICKET_CLOSED):
        actions.reply(ticket, "hello", by=actions.Actor.staff(people.agent))


def test_milestone_must_fit_the_level(people):
    ticket = first_mail(people)  # level 2: solution or workaround
    with pytest.raises(ActionError, match="Level 2 goals are met by solution, workaround"):
        actions.record_milestone(ticket, Milestone.ANSWER, by=Actor.staff(people.agent))
    with refused(ErrorCode.UNKNOWN_MILESTONE):
        actions.record_milestone(ticket, "party", by=Actor.staff(people.agent))
    actions.record_milestone(ticket, Milestone.WORKAROUND, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.milestone == Milestone.WORKAROUND


def test_wait_resume_and_resolve(people):
    ticket = first_mail(people)
    by = Actor.staff(people.agent)
    actions.wait_on_client(ticket, by=by, note="please restart the service")
    with refused(ErrorCode.ALREADY_WAITING):
        actions.wait_on_client(ticket, by=by)
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT
    answer = NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.MAIL,
        text="Done, still broken",
        sender=people.client.email,
    )
    actions.receive_from_client(ticket, answer, by=actions.Actor.sender(answer.sender))
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    actions.reply(ticket, "Fixed on our side.", by=actions.Actor.staff(people.agent))
    actions.resolve(
        ticket, "The service restarts cleanly now.", by=actions.Actor.staff(people.agent)
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    with refused(ErrorCode.TICKET_RESOLVED):
        actions.resolve(ticket, "again", by=actions.Actor.staff(people.agent))


def test_out_of_office_does_not_end_the_wait(people):
    ticket = first_mail(people)
    actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    ooo = NewMessage(
        direction=Direction.INBOUND,
        kind=MessageKind.AUTO_REPLY,
        text="I am away",
        sender=people.client.email,
    )
    actions.receive_from_client(
        ticket, ooo, counts_as_answer=False, by=actions.Actor.sender(ooo.sender)
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_ON_CLIENT


def test_client_message_on_a_closed_ticket_is_kept_and_does_not_reopen(people):
    ticket = first_mail(people)
    actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    msg = NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="thanks")
    actions.receive_from_client(ticket, msg, by=actions.Actor.sender(msg.sender))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.messages.last().text == "thanks"


def test_assign_take_and_unassign(people):
    ticket = first_mail(people)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    with refused(ErrorCode.ALREADY_ASSIGNED):
        actions.assign(ticket, people.agent, by=Actor.staff(people.lead))
    people.second_agent.is_active = False
    people.second_agent.save()
    with refused(ErrorCode.INACTIVE_USER):
        actions.assign(ticket, people.second_agent, by=Actor.staff(people.lead))
    actions.assign(ticket, None, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert [e.data["to"] for e in ticket.events.filter(kind=EventKind.ASSIGNED)] == ["alice", None]


def test_attachments_are_stored_under_random_names(people, settings):
    from deskside.tickets.storage import attachment_path

    files = (actions.NewFile("../../etc/passwd", "text/plain", b"root:x:0:0"),)
    ticket = first_mail(
        people,
        message=NewMessage(
            direction=Direction.INBOUND, kind=MessageKind.MAIL, text="see file", files=files
        ),
    )
    attachment = ticket.messages.get().attachments.get()
    path = attachment_path(attachment.stored_name)
    assert path.read_bytes() == b"root:x:0:0"
    assert path.is_relative_to(settings.DATA_DIR)
    assert "passwd" not in str(path)
    assert attachment.sha256 == hashlib.sha256(b"root:x:0:0").hexdigest()
    assert attachment.size == 10


def test_the_queue_flag_follows_the_status_through_every_action(people):
    by = Actor.staff(people.agent)

    def in_queue(ticket):
        return Ticket.objects.values_list("in_queue", flat=True).get(pk=ticket.pk)

    ticket = first_mail(people)
    rejected = first_mail(
        people, subject="Export fails", claimed_severity=None, problem=CloseReason.NO_SEVERITY
    )
    assert (in_queue(ticket), in_queue(rejected)) == (True, False)  # no level: closed at once
    actions.wait_on_client(ticket, by=by)
    assert in_queue(ticket) is True
    actions.close(ticket, CloseReason.SOLVED, by=by)
    assert in_queue(ticket) is False
    actions.reopen(ticket, by=by, reason="problem is back")
    assert in_queue(ticket) is True
