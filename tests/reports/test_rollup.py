"""The reports' rollup (deskside/reports/rollup.py): kept in each action's transaction, judged
again when the policy changes, and the client's month from it equals the month from the events.
The figures themselves are checked against the brute force in test_figures.py."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from deskside.accounts.models import Contact
from deskside.reports import client, days, figures, rollup, tasks
from deskside.reports.models import BacklogDay, ClockRow, DayFigure, Stale
from deskside.reports.period import Kind, custom, period_of
from deskside.runtime.scheduler import JOBS
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, SeverityLevel
from tests.people import People, make_people
from tests.portal.conftest import open_ticket, signed_in

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
NOVEMBER = period_of(Kind.MONTH, MONDAY_10.date())
LATER = MONDAY_10 + timedelta(days=10)


class Undone(Exception):
    pass


@pytest.fixture
def people() -> People:
    policy.clear()
    return make_people()


def _clocks(people: People, now: datetime) -> list[figures.ClockFigures]:
    cal, targets = policy.calendar(), policy.targets()
    assert rollup.ready(cal, targets)
    return rollup.clock_figures(NOVEMBER, figures.Filters(organisation=people.acme.pk), now, cal)


def test_an_action_marks_its_ticket_in_its_own_transaction(people: People):
    rollup.backfill(policy.calendar(), policy.targets())
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = open_ticket(people.client, "Export fails", 2)
    before = _clocks(people, LATER)
    assert Stale.objects.count() == 0  # the report judged the new ticket and cleared its mark
    with (
        time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False),
        contextlib.suppress(Undone),
        transaction.atomic(),
    ):
        actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
        assert Stale.objects.filter(ticket_id=ticket.pk).exists()
        raise Undone  # the reply is undone: its mark with it
    assert Stale.objects.count() == 0
    assert _clocks(people, LATER) == before
    with time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False):
        actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
    first = next(c for c in _clocks(people, LATER) if c.clock == "first_response")
    assert (first.met, first.breached) == (1, 0)


def test_a_clock_not_due_yet_is_pending_until_its_due_time(people: People):
    rollup.backfill(policy.calendar(), policy.targets())
    with time_machine.travel(MONDAY_10, tick=False):
        open_ticket(people.client, "Export fails", 2)
    assert rollup.ready(policy.calendar(), policy.targets())
    row = ClockRow.objects.get(clock="first_response")
    # Judged as after every event: unmet and due, breached; before its due time, pending.
    assert row.due is not None and row.outcome == "breached"
    first = next(c for c in _clocks(people, row.due - timedelta(minutes=1)) if c.clock == row.clock)
    assert (first.pending, first.breached) == (1, 0)
    first = next(c for c in _clocks(people, row.due) if c.clock == row.clock)
    assert (first.pending, first.breached) == (0, 1)


def test_a_new_target_sets_the_rollup_aside_until_it_is_judged_again(people: People):
    rollup.backfill(policy.calendar(), policy.targets())
    with time_machine.travel(MONDAY_10, tick=False):
        ticket = open_ticket(people.client, "Export fails", 2)
    with time_machine.travel(MONDAY_10 + timedelta(hours=3), tick=False):
        actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
    first = next(c for c in _clocks(people, LATER) if c.clock == "first_response")
    assert (first.met, first.breached) == (0, 1)  # level 2: a first response within 2 hours
    SeverityLevel.objects.filter(level=2).update(first_response=timedelta(hours=8))
    policy.clear()
    cal, targets = policy.calendar(), policy.targets()
    assert not rollup.ready(cal, targets)
    # Meanwhile the client's month reads the events: already under the new target.
    month = client.month(NOVEMBER, people.acme.pk, LATER, cal, targets)
    first = next(c for c in month.clocks if c.clock == "first_response")
    assert (first.met, first.breached) == (1, 0)
    assert rollup.backfill(cal, targets) >= 1
    assert _clocks(people, LATER) == month.clocks


def test_the_clients_month_from_the_rollup_equals_the_month_from_the_events(people: People):
    rollup.backfill(policy.calendar(), policy.targets())
    with time_machine.travel(MONDAY_10, tick=False):
        acme = [open_ticket(people.client, f"Acme {n}", 1 + n % 4) for n in range(4)]
        open_ticket(people.other_client, "Globex", 1)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        actions.reply(acme[0], "On it.", by=Actor.staff(people.agent))
        actions.wait_on_client(acme[1], by=Actor.staff(people.agent))
    cal, targets = policy.calendar(), policy.targets()
    month = client.month(NOVEMBER, people.acme.pk, LATER, cal, targets)
    report = figures.report(
        NOVEMBER, figures.Filters(organisation=people.acme.pk), LATER, cal, targets
    )
    assert month.clocks == report.clocks
    assert month.by_level == client.by_level(report)
    assert month.received == len(report.tickets) == 4
    assert month.oldest == report.oldest
    Contact.objects.filter(pk=people.client.pk).update(language="en")
    with time_machine.travel(LATER, tick=False):
        page = signed_in(people.client).get("/portal/report/?month=2026-11").content.decode()
    assert "4 tickets received this month." in page
    assert "Globex" not in page


def test_the_worker_keeps_the_rollup_up_to_date_every_minute(people: People, monkeypatch):
    assert any(j.task_path == "deskside.reports.tasks.keep_rollup" and j.every <= 60 for j in JOBS)
    with time_machine.travel(MONDAY_10, tick=False):
        open_ticket(people.client, "Before the rollup", 2)
    monkeypatch.setattr(tasks, "SMALL_DESK", 0)
    assert tasks.keep_rollup.call() is False  # a large desk waits for its backfill
    monkeypatch.undo()
    assert tasks.keep_rollup.call() is True  # a small one is judged whole by the worker
    assert ClockRow.objects.filter(clock="goal").count() == 1
    with time_machine.travel(MONDAY_10, tick=False):
        open_ticket(people.client, "Export fails", 2)
    assert Stale.objects.exists() and ClockRow.objects.filter(clock="goal").count() == 1
    assert tasks.keep_rollup.call() is True  # then each minute the tickets marked since
    assert not Stale.objects.exists() and ClockRow.objects.filter(clock="goal").count() == 2


def test_the_backlog_from_the_rollup_equals_the_backlog_from_the_events(people: People):
    """The spans the rollup keeps give the backlog the events give: a ticket closed and
    reopened later, one reassessed, one opened an hour ago, by level and organisation."""
    rollup.backfill(policy.calendar(), policy.targets())
    staff = Actor.staff(people.agent)
    with time_machine.travel(MONDAY_10 - timedelta(days=30), tick=False):
        old = open_ticket(people.client, "Open since October", 3)
    with time_machine.travel(MONDAY_10, tick=False):
        closed = open_ticket(people.client, "Closed, reopened", 2)
        open_ticket(people.other_client, "Globex", 1)
    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        actions.close(closed, CloseReason.SOLVED, by=staff)
        actions.reassess(old, 1, reason="Production is down", by=staff)
        actions.assign(old, people.agent, by=staff)
    with time_machine.travel(MONDAY_10 + timedelta(days=8), tick=False):
        actions.reopen(closed, by=staff, reason="It came back")
    with time_machine.travel(LATER - timedelta(hours=1), tick=False):
        open_ticket(people.client, "An hour ago", 4)
    cal, targets = policy.calendar(), policy.targets()
    weeks = custom(MONDAY_10.date() - timedelta(days=7), LATER.date() + timedelta(days=3))
    for only in (
        figures.Filters(),
        figures.Filters(organisation=people.acme.pk),
        figures.Filters(level=1),
        figures.Filters(agent=people.agent.pk),
    ):
        read = rollup.report(weeks, only, LATER, cal, targets)
        assert read.backlog == figures.report(weeks, only, LATER, cal, targets).backlog
    everything = rollup.report(weeks, figures.Filters(), LATER, cal, targets)
    last = everything.backlog[-1]
    assert last.at == LATER and last.by_level == {1: 2, 2: 1, 3: 0, 4: 1, None: 0}
    day_after = next(d for d in everything.backlog if d.day == MONDAY_10.date())
    assert day_after.by_level[2] == 1 and day_after.by_level[1] == 2  # `old` at its level now


def _marks(ticket_id: int) -> int:
    return Stale.objects.filter(ticket_id=ticket_id).count()


# Real transactions and savepoints: a test's own transaction would hold every mark written.
@pytest.mark.django_db(transaction=True)
def test_a_ticket_is_marked_once_per_transaction(people: People):
    ticket = open_ticket(people.client, "Export fails", 2)
    assert _marks(ticket.pk) == 1  # opened and acknowledged: two events, one mark
    with transaction.atomic():
        actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
        actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    assert _marks(ticket.pk) == 2


@pytest.mark.django_db(transaction=True)
def test_a_mark_undone_with_its_savepoint_is_written_again(people: People):
    ticket = open_ticket(people.client, "Export fails", 2)
    Stale.objects.all().delete()
    with transaction.atomic():
        with contextlib.suppress(Undone), transaction.atomic():
            actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
            assert _marks(ticket.pk) == 1
            raise Undone  # the reply and its mark are rolled back to the savepoint
        assert _marks(ticket.pk) == 0
        actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    assert _marks(ticket.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_a_mark_of_a_released_savepoint_goes_with_the_one_around_it(people: People):
    ticket = open_ticket(people.client, "Export fails", 2)
    Stale.objects.all().delete()
    with transaction.atomic():
        with contextlib.suppress(Undone), transaction.atomic():
            with transaction.atomic():
                actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
            raise Undone  # the inner savepoint was released into this one, rolled back
        actions.wait_on_client(ticket, by=Actor.staff(people.agent))
    assert _marks(ticket.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_a_ticket_judged_in_the_transaction_is_marked_again(people: People):
    rollup.backfill(policy.calendar(), policy.targets())
    ticket = open_ticket(people.client, "Export fails", 2)
    with transaction.atomic():
        actions.reply(ticket, "On it.", by=Actor.staff(people.agent))
        assert rollup.ready(policy.calendar(), policy.targets())  # judged, marks cleared
        assert _marks(ticket.pk) == 0
        actions.wait_on_client(ticket, by=Actor.staff(people.agent))
        assert _marks(ticket.pk) == 1


def test_a_close_at_midnight_ends_the_day_before_in_the_backlog(people: People):
    """A ticket closed exactly at midnight is not open at the end of the day before, and one
    reopened then is: the backlog's days (reports/days.py) count a move at midnight for the
    day that ends then, as the spans are counted from the events."""
    rollup.backfill(policy.calendar(), policy.targets())
    midnight = datetime(2026, 11, 24, 0, 0, tzinfo=BRUSSELS)
    assert days.day_of(midnight, BRUSSELS) == date(2026, 11, 23)
    assert days.day_of(midnight + timedelta(microseconds=1), BRUSSELS) == date(2026, 11, 24)
    with time_machine.travel(MONDAY_10, tick=False):
        closed = open_ticket(people.client, "Closed at midnight", 2)
        reopened = open_ticket(people.client, "Reopened at midnight", 3)
        actions.close(reopened, CloseReason.SOLVED, by=Actor.staff(people.agent))
    with time_machine.travel(midnight, tick=False):
        actions.close(closed, CloseReason.WITHDRAWN, by=Actor.staff(people.agent))
        actions.reopen(reopened, by=Actor.staff(people.agent), reason="Not solved after all")
    cal, targets = policy.calendar(), policy.targets()
    only = figures.Filters(organisation=people.acme.pk)
    week = period_of(Kind.WEEK, MONDAY_10.date())
    summed = rollup.report(week, only, LATER, cal, targets)
    counted = figures.report(week, only, LATER, cal, targets)
    monday = next(d for d in summed.backlog if d.day == MONDAY_10.date())
    assert (monday.count(2), monday.count(3)) == (0, 1)
    assert summed.backlog == counted.backlog


def _sums() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """The rollup's sums per day, without the zeros a ticket judged again can leave."""
    figures_by_day = DayFigure.objects.exclude(n=0).values_list("day", "level", "figure", "n")
    moves = BacklogDay.objects.exclude(moves=0).values_list(
        "day", "organisation_id", "level", "moves"
    )
    return set(figures_by_day), set(moves)


def test_the_sums_kept_action_by_action_equal_the_sums_written_whole(people: People):
    """Each action's ticket is judged again and its sums moved (its former part taken away, its
    new part added): they end as a backfill writes them from nothing."""
    cal, targets = policy.calendar(), policy.targets()
    rollup.backfill(cal, targets)
    staff = Actor.staff(people.agent)
    with time_machine.travel(MONDAY_10, tick=False):
        tickets = [open_ticket(people.client, f"Export {n}", 1 + n % 4) for n in range(4)]
        open_ticket(people.other_client, "Globex", 2)
    assert rollup.ready(cal, targets)  # a report between the actions: each judged anew
    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        actions.reply(tickets[0], "On it.", by=staff)
        actions.assign(tickets[1], people.agent, by=staff)
        actions.wait_on_client(tickets[2], by=staff)
        actions.reassess(tickets[3], 1, reason="Production is down", by=staff)
    assert rollup.ready(cal, targets)
    with time_machine.travel(MONDAY_10 + timedelta(days=1), tick=False):
        actions.close(tickets[0], CloseReason.SOLVED, by=staff)
        actions.reply(tickets[1], "Fixed?", by=staff)
    assert rollup.ready(cal, targets)
    with time_machine.travel(MONDAY_10 + timedelta(days=2), tick=False):
        actions.reopen(tickets[0], by=staff, reason="Not solved after all")
    assert rollup.ready(cal, targets)
    kept = _sums()
    assert kept[0] and kept[1]
    rollup.backfill(cal, targets)
    assert _sums() == kept
