"""The history in words: one sentence per event kind, read from its typed payload."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from deskside.tickets import actions
from deskside.tickets.actions._record import record
from deskside.tickets.events import PAYLOADS
from deskside.tickets.history import _SENTENCES, lines, sentence
from deskside.tickets.models import Event, EventKind, Ticket
from tests.desk.conftest import open_ticket
from tests.people import make_people


def said(kind: EventKind, names: dict[str, str] | None = None, **data: Any) -> str:
    return sentence(Event(kind=kind, data=data, actor_label="alice"), names)


def test_every_kind_has_a_payload_and_a_sentence():
    assert set(PAYLOADS) == set(EventKind) == set(_SENTENCES)


def test_created():
    assert said(EventKind.CREATED, severity=2, subject="Export") == "Opened at level 2"
    assert said(EventKind.CREATED, severity=None, subject="Export") == "Opened without a level"
    assert (
        said(EventKind.CREATED, severity=3, subject="x", note="made from quarantined mail 4")
        == "Opened at level 3: made from quarantined mail 4"
    )


def test_closed():
    assert said(EventKind.CLOSED, reason="duplicate") == "Closed (Duplicate of another ticket)"
    assert said(EventKind.CLOSED, reason="solved", note="Confirmed") == "Closed (Solved): Confirmed"


def test_reopened_says_what_the_ticket_was():
    assert (
        said(EventKind.REOPENED, reason="It broke again", was="resolved", severity=2)
        == "Reopened at level 2 (it was resolved): It broke again"
    )
    assert (
        said(EventKind.REOPENED, reason="Level given", was="no_severity", severity=3)
        == "Reopened at level 3 (it was closed: No severity in the subject): Level given"
    )


def test_resolved():
    assert said(EventKind.RESOLVED, was="open", message=1) == "Resolved"


def test_status():
    assert said(EventKind.STATUS) == "Status changed"


def test_assigned_by_display_name():
    assert said(EventKind.ASSIGNED, {"anna": "Anna Maes"}, to="anna") == "Assigned to Anna Maes"
    assert said(EventKind.ASSIGNED, to="anna") == "Assigned to anna"
    assert said(EventKind.ASSIGNED, to=None) == "Unassigned"


def test_reassessed():
    assert (
        said(EventKind.REASSESSED, was=3, level=1, reason="Production is down")
        == "Reassessed from level 3 to level 1: Production is down"
    )
    assert said(EventKind.REASSESSED, was=None, level=2, reason="") == "Level set to 2"


def test_milestone():
    assert said(EventKind.MILESTONE, milestone="workaround") == "Milestone: Workaround"


def test_message_by_kind():
    assert said(EventKind.MESSAGE, message_kind="proposal", message=1) == "Proposed steps"
    assert said(EventKind.MESSAGE, message_kind="reply", message=1) == "Replied to the client"
    assert (
        said(EventKind.MESSAGE, message_kind="web", message=1, steps_worked=True)
        == "The client says the steps worked"
    )


def test_waiting():
    assert said(EventKind.WAITING, note="proposed steps", proposal=3) == (
        "Waiting on the client: proposed steps"
    )
    assert said(EventKind.WAITING, note="") == "Waiting on the client"


def test_resumed():
    assert said(EventKind.RESUMED, was="waiting_on_client") == (
        "The client answered; the clocks run again"
    )
    assert said(EventKind.RESUMED, was="resolved") == (
        "The client answered; the resolved ticket is open again"
    )


def test_clock_alerts_in_the_desks_time_zone():
    due = "2026-12-04T13:10:00+00:00"  # 14:10 in Brussels
    assert said(EventKind.CLOCK_WARNING, clock="first_response", due=due) == (
        "First response at 75%: due Fri 4 Dec 14:10"
    )
    assert said(EventKind.CLOCK_BREACH, clock="next_update", due=due) == (
        "Next update was due Fri 4 Dec 14:10"
    )


def test_reminder():
    assert (
        said(EventKind.REMINDER, number=1, waiting_since="2026-11-30T09:00:00+00:00", message=2)
        == "Reminder 1 sent, no answer since Mon 30 Nov 10:00"
    )


def test_refused():
    assert said(EventKind.REFUSED, reason="Not now", source="portal", message=1) == (
        "The client refused the proposed steps in the portal: Not now"
    )
    assert said(EventKind.REFUSED, reason="", source="mail", message=1) == (
        "A mail from the client was marked as a refusal of the proposed steps"
    )


def test_escalated():
    assert said(EventKind.ESCALATED, level=1, why="new ticket", to="duty") == (
        "Agents on duty alerted: new ticket"
    )


def test_linked():
    assert said(EventKind.LINKED, follows="DS-12") == "Follows DS-12"
    assert said(EventKind.LINKED, followed_by="DS-20") == "Followed by DS-20"


def test_held_mail():
    assert said(EventKind.HELD_MAIL, note="held mail 5 from x@y.example: discarded", mail=5) == (
        "Held mail 5 from x@y.example: discarded"
    )


def test_an_old_row_without_its_keys_still_reads():
    for kind in EventKind:
        assert said(kind)  # no KeyError, some words


@pytest.mark.django_db
def test_lines_name_the_assignee_as_the_desk_does():
    people = make_people()
    ticket = open_ticket(people)
    User.objects.filter(pk=people.second_agent.pk).update(first_name="Bob", last_name="Peeters")
    people.second_agent.refresh_from_db()
    actions.assign(ticket, people.second_agent, by=actions.Actor.staff(people.agent))
    history = [words for _, words in lines(ticket.events.all())]
    assert "Assigned to Bob Peeters" in history


def _the_record_call_is_checked(ticket: Ticket) -> None:
    """Never run: mypy (warn_unused_ignores, in make check) fails if it stops refusing these."""
    record(ticket, EventKind.ASSIGNED, actions.SYSTEM, user="anna")  # type: ignore[call-overload]
    record(ticket, EventKind.REASSESSED, actions.SYSTEM, level=2)  # type: ignore[call-overload]
