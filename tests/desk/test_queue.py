"""The queue: what an agent should do next, by effort then by the nearest deadline."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason
from deskside.tickets.queue import Bookmark
from tests.desk.conftest import MONDAY_10, open_ticket, refs_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def queue(client, **params):
    response = client.get("/desk/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_queue_orders_by_effort_then_nearest_deadline(agent, people, time_machine):
    low = open_ticket(people, 4)
    medium = open_ticket(people, 3)
    time_machine.move_to(MONDAY_10 + timedelta(minutes=5), tick=False)
    major = open_ticket(people, 2)  # first response in 2 h
    critical = open_ticket(people, 1)  # first response in 30 min: nearer, same maximum effort
    waiting = open_ticket(people, 1, "[Sev 1] Waiting for logs")
    actions.wait_on_client(waiting, by=Actor.staff(people.agent))  # paused: no deadline
    closed = open_ticket(people, 1, "[Sev 1] Closed one")
    actions.close(closed, CloseReason.SOLVED, by=Actor.staff(people.agent))

    refs = refs_in(queue(agent))

    assert refs == [critical.ref, major.ref, waiting.ref, medium.ref, low.ref]


def test_each_row_says_who_what_and_how_long_is_left(agent, people):
    ticket = open_ticket(people, 1, "[Sev 1] Production is down")
    actions.assign(ticket, people.second_agent, by=Actor.staff(people.agent))

    html = queue(agent)

    row = html[html.index(f'data-href="/desk/ticket/{ticket.ref}/"') :]
    row = row[: row.index("</tr>")]
    assert ticket.ref in row
    assert "[Sev 1] Production is down" in row
    assert "Claire Peeters" in row and "Acme Antwerp" in row
    assert 'title="Claimed level 1"' in row and 'title="Assessed level 1"' in row
    assert "New" in row
    assert "Bob" in row
    assert "First response: 30 min left" in row
    assert "due-warn" not in row and "due-breach" not in row


def test_rows_and_filters_escape_what_clients_and_staff_typed(agent, people):
    # Rows and filter options are written in Python for speed (desk templatetags, QuickSelect):
    # everything that came from a mail or a profile must still be escaped.
    open_ticket(people, 1, '[Sev 1] <img src=x onerror="alert(1)"> & co')
    people.second_agent.first_name = "<b>Bob</b>"
    people.second_agent.save()

    html = queue(agent, assignee="me", status="new")

    assert "<img src=x" not in html and "<b>Bob</b>" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in queue(agent)
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html  # in the assignee filter
    assert '<option value="me" selected>Me</option>' in html
    assert '<option value="new" selected>New</option>' in html
    assert '<option value="">Anyone</option>' in html  # the others are not selected


def test_a_clock_is_marked_at_75_percent_and_when_breached(agent, people, time_machine):
    ticket = open_ticket(people, 1)  # first response due 10:30

    time_machine.move_to(MONDAY_10 + timedelta(minutes=22), tick=False)  # 73% used
    assert "due-warn" not in queue(agent)

    time_machine.move_to(MONDAY_10 + timedelta(minutes=23), tick=False)  # 77% used
    html = queue(agent)
    assert re.search(r'class="due-warn"[^>]*>First response: 7 min left', html)

    time_machine.move_to(MONDAY_10 + timedelta(minutes=50), tick=False)
    html = queue(agent)
    assert re.search(r'class="due-breach"[^>]*>First response: overdue 20 min', html)
    assert refs_in(queue(agent, breached="on")) == [ticket.ref]


def test_counts_per_level_follow_the_other_filters(agent, people):
    for level in (1, 2, 2, 3, 4, 4, 4):
        open_ticket(people, level)
    mine = open_ticket(people, 2)
    actions.assign(mine, people.agent, by=Actor.staff(people.agent))

    html = queue(agent)
    counts = dict(re.findall(r"Level (\d) <strong>(\d+)</strong>", html))
    assert counts == {"1": "1", "2": "3", "3": "1", "4": "3"}
    assert "All open <strong>8</strong>" in html

    mine_only = dict(re.findall(r"Level (\d) <strong>(\d+)</strong>", queue(agent, assignee="me")))
    assert mine_only == {"1": "0", "2": "1", "3": "0", "4": "0"}


def test_filters(agent, people):
    critical = open_ticket(people, 1)
    mine = open_ticket(people, 2, "[Sev 2] Mine")
    actions.assign(mine, people.agent, by=Actor.staff(people.agent))
    bobs = open_ticket(people, 3, "[Sev 3] Bob's")
    actions.assign(bobs, people.second_agent, by=Actor.staff(people.agent))
    globex = open_ticket(people, 4, "[Sev 4] Globex question", contact=people.other_client)
    waiting = open_ticket(people, 3, "[Sev 3] Waiting")
    actions.wait_on_client(waiting, by=Actor.staff(people.agent))
    answered = open_ticket(people, 2, "[Sev 2] Answered")
    actions.reply(answered, "Looking into it.", by=actions.Actor.staff(people.agent))

    assert set(refs_in(queue(agent, level=1))) == {critical.ref}
    assert set(refs_in(queue(agent, assignee="me"))) == {mine.ref}
    assert set(refs_in(queue(agent, assignee=people.second_agent.pk))) == {bobs.ref}
    assert mine.ref not in refs_in(queue(agent, assignee="unassigned"))
    assert critical.ref in refs_in(queue(agent, assignee="unassigned"))
    assert set(refs_in(queue(agent, organisation=people.other_org.pk))) == {globex.ref}
    assert "Organisation: Globex Lyon" in queue(agent, organisation=people.other_org.pk)
    assert set(refs_in(queue(agent, waiting="on"))) == {waiting.ref}
    assert set(refs_in(queue(agent, status="open"))) == {answered.ref}
    assert set(refs_in(queue(agent, level=3, assignee="unassigned"))) == {waiting.ref}


def resolved(people, ticket):
    actions.reply(ticket, "Looking into it.", by=actions.Actor.staff(people.agent))
    actions.resolve(ticket, "Fixed.", by=actions.Actor.staff(people.agent))
    return ticket


def test_the_status_filter_lists_resolved_and_closed_tickets_newest_first(agent, people):
    still_open = open_ticket(people, 2, "[Sev 2] Still open")
    first = resolved(people, open_ticket(people, 3, "[Sev 3] Resolved first"))
    second = resolved(people, open_ticket(people, 2, "[Sev 2] Resolved second"))
    closed = open_ticket(people, 1, "[Sev 1] Closed one")
    actions.close(closed, CloseReason.SOLVED, by=Actor.staff(people.agent))
    rejected = open_ticket(people, 2, "[Sev 2] Closed too")
    actions.close(rejected, CloseReason.OUT_OF_SCOPE, by=Actor.staff(people.agent))

    html = queue(agent, status="resolved")

    assert refs_in(html) == [second.ref, first.ref]
    assert "<h1>Resolved tickets</h1>" in html
    assert '<option value="resolved" selected>Resolved</option>' in html
    assert "Newest first; counted only for open tickets." in html
    assert refs_in(queue(agent, status="closed")) == [rejected.ref, closed.ref]
    assert refs_in(queue(agent, status="closed", level=1)) == [closed.ref]
    assert refs_in(queue(agent, status="resolved", assignee="unassigned")) == [
        second.ref,
        first.ref,
    ]
    assert refs_in(queue(agent)) == [still_open.ref]  # the queue itself: open tickets only
    assert '<option value="closed">Closed</option>' in queue(agent)


def test_pages_of_finished_tickets_follow_each_other(agent, people):
    tickets = [open_ticket(people, 3, f"[Sev 3] Ticket {i}") for i in range(55)]
    for ticket in tickets:
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))

    first = queue(agent, status="closed")
    next_link = re.search(r'<a rel="next" href="\?([^"]+)"', first)
    assert next_link and "status=closed" in next_link.group(1)
    after = re.search(r"after=([^&]+)", next_link.group(1))
    assert after is not None
    second = queue(agent, status="closed", after=after.group(1))

    newest_first = [t.ref for t in reversed(tickets)]
    assert refs_in(first) == newest_first[:50]
    assert refs_in(second) == newest_first[50:]
    assert 'rel="next"' not in second


def test_a_finished_list_takes_at_most_ten_queries(agent, people, django_assert_max_num_queries):
    for i in range(60):
        ticket = open_ticket(people, 1 + i % 4)
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    policy.clear()
    with django_assert_max_num_queries(10):
        html = queue(agent, status="closed", organisation=people.acme.pk)
    assert len(refs_in(html)) == 50


def test_a_finished_list_reads_its_own_index(people):
    """A page of closed tickets walks the index `ticket_finished` from its newest entry (the
    bench: 51 entries at a million tickets), not the table."""
    from django.contrib.auth.models import User
    from django.db import connection

    from deskside.tickets.queue import Filters, finished_tickets

    query = finished_tickets(Filters(status="closed"), User(), MONDAY_10).order_by("-id")
    sql, params = query.values("pk")[:51].query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: seq scan is cheaper
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = " ".join(str(row[0]) for row in cursor.fetchall())
    assert "ticket_finished" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # read in order, not sorted


def test_bad_filter_values_are_ignored_not_refused(agent, people):
    ticket = open_ticket(people, 2)
    for params in (
        {"level": "9"},
        {"level": "x"},
        {"status": "gone"},
        {"assignee": "nobody"},
        {"organisation": "-1"},
        {"after": "garbage"},
        {"after": "1.99999999999999999999.3"},
    ):
        assert ticket.ref in refs_in(queue(agent, **params)), params


def test_pages_of_fifty_follow_each_other_without_gaps(agent, people, time_machine):
    tickets = []
    for i in range(60):
        time_machine.move_to(MONDAY_10 + timedelta(minutes=i % 7), tick=False)
        ticket = open_ticket(people, 1 + i % 4, f"[Sev {1 + i % 4}] Ticket {i}")
        if i % 9 == 0:
            actions.wait_on_client(ticket, by=Actor.staff(people.agent))  # no deadline
        tickets.append(ticket)
    time_machine.move_to(MONDAY_10 + timedelta(minutes=10), tick=False)

    first = queue(agent)
    first_refs = refs_in(first)
    assert len(first_refs) == 50
    next_link = re.search(r'<a rel="next" href="\?([^"]+)"', first)
    assert next_link
    after = re.search(r"after=([^&]+)", next_link.group(1))
    assert after is not None
    second = queue(agent, after=after.group(1))
    second_refs = refs_in(second)

    assert len(second_refs) == 10
    assert 'rel="next"' not in second
    assert "First page" in second
    assert set(first_refs).isdisjoint(second_refs)
    assert set(first_refs + second_refs) == {t.ref for t in tickets}


def test_bookmark_round_trips():
    mark = Bookmark(0, MONDAY_10 + timedelta(microseconds=7), 42)
    assert Bookmark.decode(mark.encode()) == mark
    assert Bookmark.decode(Bookmark(9, None, 3).encode()) == Bookmark(9, None, 3)


def test_first_page_takes_at_most_ten_queries_with_sixty_tickets(
    agent, people, django_assert_max_num_queries
):
    for i in range(60):
        ticket = open_ticket(people, 1 + i % 4)
        if i % 3 == 0:
            actions.assign(ticket, people.second_agent, by=Actor.staff(people.agent))

    policy.clear()  # the worst case: calendar and targets read from the database too
    # README.md, Speed: at most 10, with the banner of untaken level-1/2 tickets and an organisation
    # filter, even when the cached calendar (one query with its closing dates) and levels expired.
    with django_assert_max_num_queries(10):
        html = queue(agent, organisation=people.acme.pk)

    assert len(refs_in(html)) == 50


def test_keyboard_hints_and_phone_columns(agent, people):
    open_ticket(people, 2)
    html = queue(agent)
    assert 'src="/static/desk/desk.js"' in html
    assert 'id="desk-search"' in html
    assert html.count('class="hide-narrow"') >= 6  # client, status and assignee columns


def test_the_untaken_banner_names_twenty_and_counts_the_rest(agent, people):
    untaken = [open_ticket(people, 1 + i % 2) for i in range(23)]
    taken = open_ticket(people, 1)
    actions.assign(taken, people.agent, by=Actor.staff(people.agent))
    closed = open_ticket(people, 1)
    actions.close(closed, CloseReason.SOLVED, by=Actor.staff(people.agent))

    html = queue(agent)

    banner = html[html.index("nobody has taken:") : html.index("Take them from")]
    named = re.findall(r">([A-Z]+-\d+)</a>", banner)
    assert len(named) == 20 and set(named) <= {t.ref for t in untaken}
    assert named[0] == untaken[0].ref  # level 1, due first: the queue's order
    assert "and 3 more." in banner
    assert taken.ref not in banner and closed.ref not in banner


def test_the_untaken_banner_is_a_region_a_screen_reader_does_not_announce_again(agent, people):
    open_ticket(people, 1)
    html = queue(agent)
    start = html.index('aria-label="Untaken urgent tickets"')
    tag = html[html.rindex("<div", 0, start) : html.index(">", start)]
    assert 'role="region"' in tag and 'role="alert"' not in tag  # an alert speaks at each load
