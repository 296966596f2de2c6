"""Documentation changes on level-4 tickets: recording and editing them, "no change needed",
the guard on closing as answered, and the backlog on its own clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskside.core.errors import ErrorCode
from deskside.docs import actions
from deskside.docs.backlog import backlog, documentation_done_at
from deskside.docs.guards import check_close
from deskside.docs.models import ChangeKind, ChangeStatus, DocChange
from deskside.tickets import actions as ticket_actions
from deskside.tickets import policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Direction, Status
from tests.desk.conftest import open_ticket
from tests.refusals import refused

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
WEDNESDAY = datetime(2026, 11, 25, 11, 0, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def _wednesday(time_machine):
    policy.clear()
    time_machine.move_to(WEDNESDAY, tick=False)


def level4(people, subject="[Sev 4] How do I rotate the backups?", received_at=None):
    received_at = received_at or datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
    return open_ticket(people, 4, subject, received_at=received_at)


def planned(ticket, by, what="Explain the rotation of backups"):
    return actions.add_change(ticket, document="ops_doc", what=what, where="§4.2 Backups", by=by)


# -- recording --------------------------------------------------------------------------------


def test_an_agent_records_a_planned_change_and_the_ticket_history_says_so(people):
    ticket = level4(people)

    change = planned(ticket, people.agent)

    assert (change.kind, change.document, change.status) == ("change", "ops_doc", "planned")
    assert (change.created_by, change.done_at) == (people.agent, None)
    note = ticket.messages.get(direction=Direction.SYSTEM)
    assert note.text == (
        "Documentation change planned: Ops doc (§4.2 Backups): Explain the rotation of backups"
    )


def test_editing_a_change_to_done_stamps_it_and_back_to_planned_clears_it(people):
    ticket = level4(people)
    change = planned(ticket, people.agent)

    change = actions.edit_change(
        change,
        document="design_doc",
        what="Backups section rewritten",
        where="p. 12",
        status="done",
        by=people.second_agent,
    )
    assert (change.document, change.status, change.updated_by) == (
        "design_doc",
        "done",
        people.second_agent,
    )
    assert change.done_at == WEDNESDAY
    assert documentation_done_at(ticket) == WEDNESDAY

    change = actions.edit_change(
        change, document="design_doc", what="More to do", status="planned", by=people.agent
    )
    assert change.done_at is None and documentation_done_at(ticket) is None


def test_changes_are_only_for_level_4_and_need_what_and_a_document(people):
    level2 = open_ticket(people, 2)
    with refused(ErrorCode.DOCS_LEVEL_ONLY):
        planned(level2, people.agent)
    ticket = level4(people)
    with refused(ErrorCode.EMPTY_CHANGE):
        actions.add_change(ticket, document="ops_doc", what=" ", by=people.agent)
    with refused(ErrorCode.UNKNOWN_DOCUMENT):
        actions.add_change(ticket, document="wiki", what="x", by=people.agent)
    assert not DocChange.objects.exists()


def test_no_change_needed_with_a_reason_and_not_beside_changes(people):
    ticket = level4(people)
    with refused(ErrorCode.REASON_REQUIRED):
        actions.record_no_change(ticket, "", by=people.agent)

    none = actions.record_no_change(ticket, "The ops doc already says it.", by=people.agent)

    assert (none.kind, none.status) == (ChangeKind.NO_CHANGE, ChangeStatus.DONE)
    assert documentation_done_at(ticket) == WEDNESDAY
    with refused(ErrorCode.NO_CHANGE_RECORDED):
        planned(ticket, people.agent)
    actions.withdraw_no_change(none, by=people.agent)
    planned(ticket, people.agent)
    with refused(ErrorCode.CHANGES_RECORDED):
        actions.record_no_change(ticket, "Nothing", by=people.agent)


# -- closing as answered ----------------------------------------------------------------------


def test_closing_a_level_4_ticket_as_answered_needs_its_documentation(people):
    ticket = level4(people)

    refusal = check_close(ticket, CloseReason.ANSWERED)
    assert refusal is not None and refusal.code == ErrorCode.DOCS_REQUIRED
    assert "record the documentation changes" in str(refusal)
    with refused(ErrorCode.DOCS_REQUIRED):
        actions.close_answered(ticket, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert ticket.status != Status.CLOSED

    planned(ticket, people.agent)
    assert check_close(ticket, CloseReason.ANSWERED) is None
    actions.close_answered(ticket, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) == (Status.CLOSED, CloseReason.ANSWERED)


def test_no_change_needed_also_lets_it_close(people):
    ticket = level4(people)
    actions.record_no_change(ticket, "Already documented in §3.", by=people.agent)
    assert check_close(ticket, CloseReason.ANSWERED) is None


def test_the_guard_only_concerns_level_4_closed_as_answered(people):
    ticket = level4(people)
    assert check_close(ticket, CloseReason.DUPLICATE) is None
    assert check_close(ticket, CloseReason.OUT_OF_SCOPE) is None
    assert check_close(open_ticket(people, 3), CloseReason.ANSWERED) is None


# -- the backlog ------------------------------------------------------------------------------


def test_the_backlog_orders_planned_changes_by_the_documentation_clock(people):
    monday = level4(people, "[Sev 4] Monday question")
    early = level4(people, "[Sev 4] Early question", datetime(2026, 11, 23, 9, 30, tzinfo=BRUSSELS))
    tuesday = level4(
        people, "[Sev 4] Tuesday question", datetime(2026, 11, 24, 10, 0, tzinfo=BRUSSELS)
    )
    planned(tuesday, people.agent)
    planned(monday, people.agent, "First")
    planned(monday, people.agent, "Second")
    planned(early, people.agent)
    done = level4(people, "[Sev 4] Done already")
    actions.add_change(done, document="design_doc", what="Fixed", status="done", by=people.agent)
    actions.record_no_change(level4(people, "[Sev 4] Nothing"), "No gap", by=people.agent)

    rows = backlog(WEDNESDAY)

    assert [(r.change.ticket.subject, r.change.what) for r in rows] == [
        ("[Sev 4] Early question", "Explain the rotation of backups"),
        ("[Sev 4] Monday question", "First"),
        ("[Sev 4] Monday question", "Second"),
        ("[Sev 4] Tuesday question", "Explain the rotation of backups"),
    ]
    monday.refresh_from_db()
    assert rows[1].due == monday.documentation_due is not None
    assert [r.mark for r in rows] == ["", "", "", ""]


def test_a_ticket_closed_as_answered_stays_on_the_backlog_with_its_clock(people):
    ticket = level4(people)
    planned(ticket, people.agent)
    ticket.refresh_from_db()
    due_while_open = ticket.documentation_due
    assert due_while_open is not None

    actions.close_answered(ticket, by=Actor.staff(people.agent))

    [row] = backlog(WEDNESDAY)
    assert row.due == due_while_open
    assert row.left is not None and row.left > timedelta(0)


def test_the_backlog_marks_the_warning_and_the_breach(people):
    ticket = level4(people)
    planned(ticket, people.agent)
    ticket.refresh_from_db()
    due = ticket.documentation_due
    assert due is not None

    [row] = backlog(due - timedelta(hours=1))
    assert row.mark == "due-warn" and not row.breached
    [row] = backlog(due + timedelta(days=1))
    assert row.mark == "due-breach" and row.breached
    assert row.left is not None and row.left < timedelta(0)


def test_documentation_done_needs_every_change_done(people):
    ticket = level4(people)
    assert documentation_done_at(ticket) is None
    first = planned(ticket, people.agent)
    actions.add_change(ticket, document="design_doc", what="x", status="done", by=people.agent)
    assert documentation_done_at(ticket) is None
    actions.edit_change(first, document="ops_doc", what="y", status="done", by=people.agent)
    assert documentation_done_at(ticket) == WEDNESDAY


def test_a_ticket_waiting_on_the_client_shows_its_documentation_clock_paused(people):
    ticket = level4(people)
    planned(ticket, people.agent)
    ticket_actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    [row] = backlog(WEDNESDAY)
    assert row.due is None and row.mark == ""
