"""Desk → Reports: for leads only, in a bounded number of queries, with CSV exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine

from deskside.reports import rollup, tables, views
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason
from tests.desk.conftest import open_ticket

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
NOVEMBER = "/desk/reports/?period=month&day=2026-11-01"


@pytest.fixture(params=["counted", "summed"])
def history(request, people):
    """A few tickets of November 2026: one answered in time, one late, one duplicate. The page
    counts them from the tickets (no rollup yet, as before an upgrade's backfill), or sums
    them from the rollup's rows and days (every action judged into it)."""
    if request.param == "summed":
        rollup.backfill(policy.calendar(), policy.targets())
    with time_machine.travel(MONDAY_10, tick=False):
        kept = open_ticket(people, 2, "[Sev 2] Export fails", received_at=MONDAY_10)
        late = open_ticket(people, 1, '=HYPERLINK("x") Sev 1 down', received_at=MONDAY_10)
        dup = open_ticket(people, 3, "[Sev 3] Same again", received_at=MONDAY_10)
    with time_machine.travel(MONDAY_10 + timedelta(minutes=20), tick=False):
        actions.reply(kept, "On it.", by=Actor.staff(people.agent))
    with time_machine.travel(MONDAY_10 + timedelta(hours=2), tick=False):
        actions.reply(late, "Sorry for the wait.", by=Actor.staff(people.agent))
        actions.close(dup, CloseReason.DUPLICATE, by=Actor.staff(people.agent))
    return kept, late, dup


def test_a_lead_sees_the_report_in_few_queries(
    client, people, history, django_assert_max_num_queries
):
    client.force_login(people.lead)
    # The tickets marked by the actions are judged first (by the worker, every minute: what is
    # left of them judged by the next report, in more queries).
    rollup.ready(policy.calendar(), policy.targets())
    with django_assert_max_num_queries(20):
        page = client.get(NOVEMBER)
    assert page.status_code == 200
    html = page.content.decode()
    assert "November 2026" in html
    _kept, late, _dup = history
    assert f'href="/desk/ticket/{late.ref}/"' in html  # the breach links to its ticket
    assert '<svg class="load-chart"' in html and "style=" not in html.split("<main")[1]


def test_a_page_lists_the_first_breaches_and_links_to_all(client, people, history, monkeypatch):
    """Thousands of breaches a month at a large desk: the page shows the first due, the CSV
    and the list of tickets behind them have them all."""
    kept, late, _dup = history
    with time_machine.travel(MONDAY_10 + timedelta(days=3), tick=False):  # kept's update is late
        actions.reply(kept, "Still on it.", by=Actor.staff(people.agent))
    monkeypatch.setattr(views, "BREACHES_SHOWN", 1)
    client.force_login(people.lead)
    html = client.get(NOVEMBER).content.decode()
    table = html.split('id="breaches-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the header and the first breach: the late first response
    assert late.ref in table and kept.ref not in table
    rows = client.get(NOVEMBER.replace("/?", "/breaches.csv?")).content.decode().splitlines()
    breaches = len(rows) - 1  # the late first response, then kept's and late's next updates
    assert breaches > 2 and kept.ref in rows[-1]
    assert f"The first 1 of {breaches}, the earliest due first; the CSV has them all." in html
    every = client.get(f"{NOVEMBER.replace('/?', '/tickets/?')}&figure=breached").content.decode()
    assert late.ref in every and kept.ref in every


def test_the_navigation_offers_reports_to_leads_only(client, people):
    client.force_login(people.lead)
    assert 'href="/desk/reports/"' in client.get("/desk/").content.decode()
    client.force_login(people.agent)
    assert 'href="/desk/reports/"' not in client.get("/desk/").content.decode()


@pytest.mark.parametrize("who", ["agent", "technician"])
def test_agents_and_technicians_are_refused(client, people, who):
    client.force_login(getattr(people, who))
    assert client.get(NOVEMBER).status_code == 403
    assert client.get("/desk/reports/clocks.csv").status_code == 403


def test_a_client_is_not_shown_the_page(client, people):
    assert client.get(NOVEMBER).status_code == 302  # to the desk's sign-in


def test_csv_is_utf8_with_bom_iso_dates_and_no_formulas(client, people, history):
    client.force_login(people.lead)
    response = client.get("/desk/reports/breaches.csv?period=month&day=2026-11-01")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == ["ticket", "subject", "level", "clock", "due", "met_at"]
    late = history[1]
    row = next(r for r in rows if r[0] == late.ref)
    assert row[1].startswith("'=HYPERLINK")  # a subject never becomes a formula
    assert row[3] == "first_response"
    assert row[4] == "2026-11-23T10:30:00+01:00" and row[5] == "2026-11-23T12:00:00+01:00"


def test_every_table_downloads(client, people, history):
    client.force_login(people.lead)
    for table in tables.TABLES:
        response = client.get(f"/desk/reports/{table}.csv?period=week&day=2026-11-23")
        assert response.status_code == 200, table
        assert response.content.startswith("\ufeff".encode())
    assert client.get("/desk/reports/secrets.csv").status_code == 404


def test_figures_of_the_small_history(client, people, history):
    client.force_login(people.lead)
    load = client.get("/desk/reports/load.csv?period=week&day=2026-11-23").content.decode()
    assert "\r\n2026-11-23,1,1,1,0,0,3\r\n" in load
    clocks = client.get("/desk/reports/clocks.csv?period=week&day=2026-11-23").content.decode()
    assert "1,first_response,0,1,0,0,0.0" in clocks
    assert "2,first_response,1,0,0,0,100.0" in clocks
    assert "3,first_response,0,0,0,1," in clocks  # the duplicate ended before its due time


def test_per_agent_figures_and_the_agent_filter(
    client, people, history, django_assert_max_num_queries
):
    client.force_login(people.lead)
    agents = client.get("/desk/reports/agents.csv?period=week&day=2026-11-23").content.decode()
    # Alice replied to two tickets; none is assigned, so no clock is hers.
    assert "\r\nAlice,2,2,0,0,\r\n" in agents
    query = f"{NOVEMBER}&agent={people.agent.pk}"
    with django_assert_max_num_queries(20):
        page = client.get(query)
    assert "2 tickets received in the period" in page.content.decode()
    page = client.get(f"{NOVEMBER}&agent={people.second_agent.pk}").content.decode()
    assert "0 tickets received in the period" in page


def test_doors_backlog_and_oldest_open(client, people, history):
    client.force_login(people.lead)
    week = "period=week&day=2026-11-23"
    doors = client.get(f"/desk/reports/doors.csv?{week}").content.decode()
    assert "\r\n2026-11-23,3,0,0,0,3\r\n" in doors  # three mails
    backlog = client.get(f"/desk/reports/backlog.csv?{week}").content.decode()
    # At the end of Monday: the level-1 and level-2 tickets are open, the duplicate is closed.
    assert "\r\n2026-11-23,2026-11-24T00:00:00+01:00,1,1,0,0,0,2\r\n" in backlog
    oldest = client.get(f"/desk/reports/oldest.csv?{week}").content.decode()
    kept, late, dup = history
    assert kept.ref in oldest and late.ref in oldest and dup.ref not in oldest
    behind = f"/desk/reports/tickets/?{week}&figure=backlog:2026-11-23"
    monday = client.get(behind).content.decode()  # the two open at the end of Monday
    assert kept.ref in monday and late.ref in monday and dup.ref not in monday
    one_level = client.get(f"{behind}:{late.severity}").content.decode()
    assert late.ref in one_level and kept.ref not in one_level


def test_every_figure_links_to_the_tickets_behind_it(
    client, people, history, django_assert_max_num_queries
):
    client.force_login(people.lead)
    html = client.get(NOVEMBER).content.decode()
    assert "<section" not in html.split("<main")[0]  # the page's head holds no section
    links = set(re.findall(r'href="(/desk/reports/tickets/\?[^"]+)"', html))
    assert len(links) >= 10
    for link in links:
        with django_assert_max_num_queries(20):
            page = client.get(unescape(link))
        assert page.status_code == 200, link
    _kept, late, dup = history
    breached = (
        "/desk/reports/tickets/?period=month&day=2026-11-01&figure=clock:1:first_response:breached"
    )
    listed = client.get(breached).content.decode()
    assert f'href="/desk/ticket/{late.ref}/"' in listed and dup.ref not in listed
    closes = client.get(f"{NOVEMBER.replace('/?', '/tickets/?')}&figure=close:duplicate")
    assert dup.ref in closes.content.decode() and late.ref not in closes.content.decode()


def test_a_figure_that_does_not_exist_is_not_found(client, people):
    client.force_login(people.lead)
    for figure in ("nothing", "clock:x", "backlog:2030-01-01", "agent:999"):
        assert client.get(f"/desk/reports/tickets/?figure={figure}").status_code == 404
    client.force_login(people.agent)
    assert client.get("/desk/reports/tickets/?figure=received").status_code == 403


def test_the_report_walks_no_ticket_table_whole(client, people, history):
    """At a million tickets a read of the whole table costs a report its budget (the bench: the
    month's cohort was 140 ms of a full scan, the oldest open tickets as much): every query of
    the page that reads tickets finds them through an index."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people.lead)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(NOVEMBER).status_code == 200
    reads = [q["sql"] for q in captured.captured_queries if '"tickets_ticket"' in q["sql"]]
    assert len(reads) >= 3  # the cohort, the oldest open, the breaches' subjects at least
    for sql in reads:
        plan = _plan(connection, sql)
        assert not re.search(
            r"\bSCAN tickets_ticket\b(?! USING)|Seq Scan on tickets_ticket", plan
        ), f"{sql}\n{plan}"


def _plan(connection, sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: seq scan is cheaper
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("query", "kind", "day"),
    [
        ("", "month", "2026-11-23"),  # a first visit: this month, containing today
        ("?period=fortnight&day=not-a-day", "month", "2026-11-23"),  # unreadable: the same
        ("?period=week&day=2026-11-04", "week", "2026-11-04"),  # as asked
    ],
)
def test_the_form_shows_the_period_the_page_shows(client, people, query, kind, day):
    """The period list once said "Week" above a month's figures: its first choice, for a
    first visit that shows the month."""
    client.force_login(people.lead)
    with time_machine.travel(MONDAY_10, tick=False):
        page = client.get(f"/desk/reports/{query}")
    html = page.content.decode()
    assert re.search(rf'<option value="{kind}" selected>', html), html
    assert f'name="day" value="{day}"' in html
    heading = "November 2026" if kind == "month" else "Week 45 of 2026 (02 Nov – 08 Nov 2026)"
    assert heading in unescape(html)


def test_no_period_to_come_is_offered(client, people):
    client.force_login(people.lead)
    with time_machine.travel(MONDAY_10, tick=False):
        current = client.get("/desk/reports/?period=week&day=2026-11-23").content.decode()
        before = client.get("/desk/reports/?period=week&day=2026-11-16").content.decode()
    assert 'rel="prev"' in current and 'rel="next"' not in current
    assert re.search(r'href="\?[^"]*day=2026-11-23[^"]*" rel="next"', before), before


def test_a_lead_is_told_when_the_figures_wait_for_a_backfill(client, people):
    """Before the rollup is judged under the current policy (a large desk's upgrade, new
    targets), the page counts from the tickets, slowly at a large desk, and says who can end
    that; once judged, it says nothing."""
    client.force_login(people.lead)
    waiting = client.get(NOVEMBER).content.decode()
    assert 'role="status"' in waiting and "deskside backfill_reports" in waiting
    rollup.backfill(policy.calendar(), policy.targets())
    assert "deskside backfill_reports" not in client.get(NOVEMBER).content.decode()
