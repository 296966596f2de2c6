"""The report's figures equal a brute-force recomputation from each ticket's events
(tests/reports/brute.py), for generated histories over a DST change and a Belgian holiday:
replies, proposed steps and answers (pauses), milestones, reassessments, resolutions, closes,
reopenings, documentation changes, and mail closed for want of a level that comes back."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import datetime, timedelta
from functools import cache
from itertools import count

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskside.accounts.models import Contact, Organisation
from deskside.core.cooperation import RefusalSource
from deskside.docs import actions as docs
from deskside.onsite import actions as onsite
from deskside.onsite.models import VisitStatus
from deskside.reports import figures, rollup
from deskside.reports.behind import key, tickets_behind
from deskside.reports.period import Kind, Period, custom
from deskside.reports.rows import DOORS, CountedRows
from deskside.tickets import actions, policy
from deskside.tickets.actions import ActionError, Actor, NewMessage
from deskside.tickets.models import CloseReason, Direction, MessageKind, Ticket
from tests.reports import brute

BRUSSELS = brute.BRUSSELS
# Two fortnights: the spring DST change (Sun 29 Mar 2026) and Easter Monday (6 Apr); the autumn
# change (Sun 25 Oct) and Armistice Day (Wed 11 Nov) with All Saints' on a Sunday.
SCENARIOS = {
    "spring": datetime(2026, 3, 23, 0, 0, tzinfo=BRUSSELS),
    "autumn": datetime(2026, 10, 19, 0, 0, tzinfo=BRUSSELS),
}
DAYS = 14
STEPS = (
    "reply",
    "propose",
    "answer",
    "wait",
    "milestone",
    "reassess",
    "resolve",
    "close",
    "reopen",
    "doc_done",
    "doc_planned",
    "assign",
    "remind",
    "refuse",
    "visit",
    "visit_done",
)
_orgs = count()
# Where the client is decides an on-site visit: in Belgium, abroad, or no address at all.
ADDRESSES: list[dict[str, str]] = [
    {"address_line1": "Meir 1", "postal_code": "2000", "city": "Antwerpen", "country": "BE"},
    {"address_line1": "Rue 1", "postal_code": "69001", "city": "Lyon", "country": "FR"},
    {},
]


@cache
def minutes_of(scenario: str) -> list[datetime]:
    start = SCENARIOS[scenario].date()
    return brute.business_minutes(start, start + timedelta(days=70))


ticket_plans = st.lists(
    st.tuples(
        st.integers(0, 10 * 24 * 60 - 1),  # received, in minutes after the scenario's start
        st.sampled_from([1, 2, 3, 4, "no", "invalid", "ambiguous"]),
        st.lists(st.tuples(st.integers(1, 3 * 24 * 60), st.sampled_from(STEPS)), max_size=7),
    ),
    min_size=1,
    max_size=6,
)

SUBJECTS = {
    "no": "Export fails",
    "invalid": "Severity 5 export fails",
    "ambiguous": "Sev 1 or Sev 3? export fails",
}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scenario=st.sampled_from(sorted(SCENARIOS)),
    plans=ticket_plans,
    now_days=st.integers(3, 20),
    address=st.sampled_from(ADDRESSES),
)
def test_figures_equal_the_brute_force(people, scenario, plans, now_days, address):
    policy.clear()
    start = SCENARIOS[scenario]
    now = start + timedelta(days=now_days, hours=11, minutes=7)
    organisation = Organisation.objects.create(name=f"Org {next(_orgs)}", **address)
    contact = Contact.objects.create(
        email=f"c{organisation.pk}@org.example", organisation=organisation
    )
    rollup.backfill(policy.calendar(), policy.targets())  # every action from here marks its ticket
    tickets = play(people, contact, start, plans, now)
    period = custom(start.date(), start.date() + timedelta(days=DAYS - 1))
    only = figures.Filters(organisation=organisation.pk)
    report = figures.report(period, only, now, policy.calendar(), policy.targets())
    expected = brute.figures(tickets, minutes_of(scenario), now)
    assert_same(report, expected)
    assert_same_rollup(period, organisation, now, expected)
    assert_same_load(report, brute.load_figures(tickets, period.first, period.last, now))
    assert_same_protocol(report, brute.protocol_figures(tickets))
    assert_same_behind(report, expected, tickets)
    # The lead's page: the same report with its clocks and its backlog read from the rollup,
    # its other figures summed from the rollup's rows per ticket and agent.
    read = rollup.report(period, only, now, policy.calendar(), policy.targets())
    assert_counted_as_read(read, report)
    assert_same(read, expected)
    assert_same_load(read, brute.load_figures(tickets, period.first, period.last, now))
    assert_same_protocol(read, brute.protocol_figures(tickets))
    assert_same_behind(read, expected, tickets)
    assert_breaches_listed(period, only, now, report, expected)
    assert_every_organisation_summed(period, start + timedelta(days=60))
    assert_agent_filter(people.second_agent, organisation, period, now, tickets)


def assert_same_rollup(period: Period, organisation: Organisation, now: datetime, expected) -> None:
    """The rollup, brought up to date from the marks the actions left, gives the same clocks."""
    cal, targets = policy.calendar(), policy.targets()
    assert rollup.ready(cal, targets)
    only = figures.Filters(organisation=organisation.pk)
    outcomes: Counter[tuple[int, str, str]] = Counter()
    for c in rollup.clock_figures(period, only, now, cal):
        for outcome in ("met", "breached", "pending", "ended"):
            if getattr(c, outcome):
                outcomes[(c.level, c.clock, outcome)] = getattr(c, outcome)
    assert outcomes == expected["outcomes"]
    found = rollup.breaches(period, only, now, cal)
    assert {(b.ticket, b.clock, b.due) for b in found} == expected["breaches"]
    durations = rollup.durations(period, only, now, cal)
    assert {(d.level, d.clock): (d.count, d.median, d.p90) for d in durations} == expected[
        "durations"
    ]


def assert_counted_as_read(read: figures.Report, report: figures.Report) -> None:
    """The figures the rollup's facts sum are those counted from the tickets, and the tickets
    behind each, read when asked, are as many as it counted."""
    assert isinstance(read.tickets, CountedRows)  # the facts were read, not the tickets
    assert (read.received, len(read.tickets), list(read.tickets)) == (
        report.received,
        len(report.tickets),
        list(report.tickets),
    )
    assert (read.clocks, read.load, read.matrix, read.closes) == (
        report.clocks,
        report.load,
        report.matrix,
        report.closes,
    )
    r, expected = read.refusals, report.refusals
    assert (r.new_mail, r.closed, r.came_back) == (
        expected.new_mail,
        expected.closed,
        expected.came_back,
    )
    assert {k: frozenset(v) for k, v in r.behind.items() if v} == {
        k: v for k, v in expected.behind.items() if v
    }
    for name, tally in read.protocol.cooperation.items():
        found = report.protocol.cooperation[name]
        assert (tally.count, len(tally.tickets)) == (found.count, len(found.tickets))
        assert frozenset(tally.tickets) == found.tickets
    for a, b in zip(read.agents, report.agents, strict=True):
        assert (a.agent, a.name, len(a.handled), a.replies, a.met, a.breached) == (
            b.agent,
            b.name,
            len(b.handled),
            b.replies,
            b.met,
            b.breached,
        )
        assert frozenset(a.handled) == b.handled


def assert_every_organisation_summed(period: Period, later: datetime) -> None:
    """Unfiltered, the lead's page sums the rows of every organisation (the backlog's days
    of every organisation too) to the figures counted from every ticket. `later`: after every
    event of the examples run before this one (the database keeps their tickets, whose events
    may come after this one's `now`, where the rollup, judged after every event, is not
    meant to be asked)."""
    cal, targets = policy.calendar(), policy.targets()
    read = rollup.report(period, figures.Filters(), later, cal, targets)
    report = figures.report(period, figures.Filters(), later, cal, targets)
    assert read.backlog == report.backlog
    assert_counted_as_read(read, report)


def assert_breaches_listed(period, only, now, report: figures.Report, expected) -> None:
    """The page lists the first breaches due and counts them all, as the full report does."""
    page = rollup.report(period, only, now, policy.calendar(), policy.targets(), listed=2)
    assert page.breaches == report.breaches[:2]
    counted = (len(expected["breaches"]), len({ticket for ticket, _c, _d in expected["breaches"]}))
    assert (page.breach_count, page.breached_tickets) == counted
    assert (report.breach_count, report.breached_tickets) == counted


def assert_same_load(report: figures.Report, expected) -> None:
    doors = Counter({(d.day, door): n for d in report.load for door, n in d.by_door.items() if n})
    assert doors == expected["doors"]
    backlog = Counter({(d.day, lv): n for d in report.backlog for lv, n in d.by_level.items() if n})
    assert backlog == expected["backlog"]
    assert len(report.backlog) == expected["backlog_days"]
    for day, pks in expected["backlog_tickets"].items():
        assert tickets_behind(report, key("backlog", day.isoformat())) == frozenset(pks)
    assert [t.pk for t in report.oldest] == expected["oldest"]


def assert_same_behind(report: figures.Report, expected, tickets: list[Ticket]) -> None:
    """The tickets a figure links to are the brute force's tickets behind it."""
    for (level, clock, outcome), pks in expected["behind"].items():
        assert tickets_behind(report, key("clock", level, clock, outcome)) == frozenset(pks)
    for door in DOORS:
        assert tickets_behind(report, key("door", door)) == frozenset(
            t.pk for t in tickets if brute.door(t) == door
        )
    for reason in CloseReason.values:
        assert tickets_behind(report, key("close", reason)) == frozenset(
            t.pk for t in tickets if t.status == "closed" and t.close_reason == reason
        )


def assert_same_protocol(report: figures.Report, expected) -> None:
    found, spent = expected
    p = report.protocol
    tallies = {**p.cooperation, **p.visits, **p.documentation}
    assert {k: (t.count, t.tickets) for k, t in tallies.items() if t.count} == found
    assert p.visit_time == spent


def assert_agent_filter(agent, organisation, period, now, tickets) -> None:
    """Filtered by an agent, the report is about the tickets that agent handled."""
    only = figures.Filters(organisation=organisation.pk, agent=agent.pk)
    report = figures.report(period, only, now, policy.calendar(), policy.targets())
    assert report.received == sum(1 for t in tickets if agent.pk in brute.handled_by(t))
    read = rollup.report(period, only, now, policy.calendar(), policy.targets())
    assert (read.clocks, read.durations, read.breaches) == (
        report.clocks,
        report.durations,
        report.breaches,
    )
    assert read.agents == report.agents
    assert read.backlog == report.backlog
    # And by level: the backlog counts the tickets at that level now.
    only = figures.Filters(organisation=organisation.pk, level=2)
    read = rollup.report(period, only, now, policy.calendar(), policy.targets())
    cal, targets = policy.calendar(), policy.targets()
    assert read.backlog == figures.report(period, only, now, cal, targets).backlog


def play(people, contact, start, plans, now) -> list[Ticket]:
    """Open each ticket and run its steps in time order, up to `now`; a step the desk refuses
    (a milestone on a closed ticket, ...) is skipped, as a person would be refused."""
    timeline = []
    for index, (offset, level, steps) in enumerate(plans):
        at = start + timedelta(minutes=offset)
        timeline.append((at, index, "open", level))
        for gap, step in steps:
            at += timedelta(minutes=gap)
            timeline.append((at, index, step, level))
    pks: dict[int, int] = {}
    for at, index, step, level in sorted(timeline, key=lambda x: (x[0], x[1])):
        if at > now:
            break
        with time_machine.travel(at, tick=False):
            if step == "open":
                pks[index] = open_one(contact, at, level).pk
            elif index in pks:
                with contextlib.suppress(ActionError):
                    act(people, Ticket.objects.get(pk=pks[index]), step, index)
    return list(Ticket.objects.filter(pk__in=pks.values()).order_by("pk"))


def open_one(contact, at, level) -> Ticket:
    problem = None
    if not isinstance(level, int):
        problem = CloseReason.NO_SEVERITY if level == "no" else CloseReason.INVALID_SEVERITY
    subject = f"[Sev {level}] Export fails" if isinstance(level, int) else SUBJECTS[level]
    return actions.open_ticket(
        contact=contact,
        subject=subject,
        claimed_severity=level if isinstance(level, int) else None,
        received_at=at,
        problem=problem,
        message=NewMessage(
            direction=Direction.INBOUND, kind=MessageKind.MAIL, text="Help", sender=contact.email
        ),
    )


def act(people, ticket: Ticket, step: str, index: int) -> None:
    agent, by = people.agent, Actor.staff(people.agent)
    if step == "reply":
        # Replies by either agent, so that the per-agent figures have two agents to tell apart.
        replier = people.second_agent if index % 2 else people.agent
        actions.reply(ticket, "An answer.", by=Actor.staff(replier))
    elif step == "assign":
        actions.assign(ticket, people.second_agent if index % 3 else agent, by=by)
    elif step == "propose":
        actions.propose_steps(ticket, "Please try this.", by=by)
    elif step == "answer":
        message = NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="Done.",
            sender=ticket.contact.email,
            created_at=datetime.now(tz=BRUSSELS),
        )
        actions.receive_from_client(ticket, message, by=Actor.client(ticket.contact))
    elif step == "wait":
        actions.wait_on_client(ticket, by=by)
    elif step == "milestone" and ticket.severity:
        actions.record_milestone(ticket, policy.level(ticket.severity).goal_milestones[0], by=by)
    elif step == "reassess":
        actions.reassess(ticket, 1 + (index + (ticket.severity or 0)) % 4, reason="Impact.", by=by)
    elif step == "resolve":
        actions.resolve(ticket, "Fixed.", by=by)
    elif step == "close":
        actions.close(ticket, CloseReason.DUPLICATE if index % 2 else CloseReason.WITHDRAWN, by=by)
    elif step == "reopen":
        level = ticket.severity or 1 + index % 4
        actions.reopen(ticket, by=Actor.client(ticket.contact), reason="Again.", severity=level)
    elif step == "remind":
        actions.remind_or_close(ticket, datetime.now(tz=BRUSSELS))
    elif step == "refuse":
        refuse(ticket, by, close=index % 2 == 1)
    elif step in ("visit", "visit_done"):
        visit(people, ticket, step == "visit_done")
    elif step in ("doc_done", "doc_planned"):
        status = "done" if step == "doc_done" else "planned"
        docs.add_change(ticket, document="ops_doc", what="Section 2", status=status, by=agent)


def refuse(ticket: Ticket, by: Actor, *, close: bool) -> None:
    """Steps proposed and refused by the client in the portal; then, maybe, the close."""
    actions.propose_steps(ticket, "Please try this.", by=by)
    actions.record_refusal(
        ticket, by=Actor.client(ticket.contact), source=RefusalSource.PORTAL, reason="No."
    )
    if close:
        actions.close(ticket, CloseReason.CLIENT_REFUSED, by=by)


def visit(people, ticket: Ticket, report: bool) -> None:
    """Ask for a visit; to report, schedule it the next business day and report on it."""
    with contextlib.suppress(onsite.VisitError):
        onsite.request_visit(ticket, "The disk must be replaced.", by=people.agent)
    asked = ticket.visits.filter(status=VisitStatus.REQUESTED).first()
    if not report or asked is None:
        return
    start = policy.calendar().next_opening(datetime.now(tz=BRUSSELS) + timedelta(days=1))
    hour = timedelta(hours=1)
    onsite.schedule(asked, technician=people.technician, start=start, duration=hour, by=people.lead)
    onsite.report(asked, outcome="Replaced.", time_spent=hour * 1.5, solved=True, by=people.lead)


def assert_same(report: figures.Report, expected) -> None:
    outcomes: Counter[tuple[int, str, str]] = Counter()
    for c in report.clocks:
        for outcome in ("met", "breached", "pending", "ended"):
            if getattr(c, outcome):
                outcomes[(c.level, c.clock, outcome)] = getattr(c, outcome)
    assert outcomes == expected["outcomes"]
    assert {(b.ticket, b.clock, b.due) for b in report.breaches} == expected["breaches"]
    assert {(d.level, d.clock): (d.count, d.median, d.p90) for d in report.durations} == expected[
        "durations"
    ]
    load = Counter({(d.day, lv): n for d in report.load for lv, n in d.by_level.items() if n})
    assert load == expected["load"]
    assert Counter({k: n for k, n in report.matrix.items() if n}) == expected["matrix"]
    assert Counter({r: n for r, n in report.closes if n}) == expected["closes"]
    new_mail, closed, back = expected["refusals"]
    assert report.refusals.new_mail == new_mail
    assert Counter({k: n for k, n in report.refusals.closed.items() if n}) == closed
    assert Counter({k: n for k, n in report.refusals.came_back.items() if n}) == back
    assert {a.agent: (a.handled, a.replies, a.met, a.breached) for a in report.agents} == expected[
        "agents"
    ]


def test_due_times_cross_the_dst_change_and_easter_monday(people):
    """Level 3 at Fri 27 Mar 16:00: first response (8 h) due Mon 30 Mar 16:00, summer time.
    Level 2 at Fri 3 Apr 16:00: (2 h) due Tue 7 Apr 10:00, Easter Monday closed."""
    contact = people.client
    dst = open_one(contact, datetime(2026, 3, 27, 16, 0, tzinfo=BRUSSELS), 3)
    easter = open_one(contact, datetime(2026, 4, 3, 16, 0, tzinfo=BRUSSELS), 2)
    now = datetime(2026, 4, 20, 12, 0, tzinfo=BRUSSELS)
    period = Period(Kind.CUSTOM, datetime(2026, 3, 23).date(), datetime(2026, 4, 5).date())
    report = figures.report(period, figures.Filters(), now, policy.calendar(), policy.targets())
    dues = {(b.ticket, b.clock): b.due.astimezone(BRUSSELS) for b in report.breaches}
    assert dues[(dst.pk, "first_response")] == datetime(2026, 3, 30, 16, 0, tzinfo=BRUSSELS)
    assert dues[(easter.pk, "first_response")] == datetime(2026, 4, 7, 10, 0, tzinfo=BRUSSELS)
    assert dues[(dst.pk, "first_response")].utcoffset() == timedelta(hours=2)


def test_visits_done_and_refused_abroad_and_documentation(people):
    """The rarer paths of the protocol's figures, told apart by hand and by the brute force."""
    at = datetime(2026, 11, 23, 10, 0, tzinfo=BRUSSELS)
    with time_machine.travel(at, tick=False):
        here = open_one(people.client, at, 2)
        abroad = open_one(people.other_client, at, 3)
        documented = open_one(people.client, at, 4)
        visit(people, here, True)
        visit(people, abroad, False)
        docs.add_change(
            documented, document="ops_doc", what="S 2", status="planned", by=people.lead
        )
        docs.add_change(documented, document="ops_doc", what="S 3", status="done", by=people.lead)
    period = Period(Kind.WEEK, at.date(), at.date() + timedelta(days=6))
    now = at + timedelta(days=2)
    report = figures.report(period, figures.Filters(), now, policy.calendar(), policy.targets())
    p = report.protocol
    assert p.visits["done"].tickets == frozenset({here.pk})
    assert p.visits["refused_abroad"].tickets == frozenset({abroad.pk})
    assert p.visit_time == timedelta(minutes=90)
    assert p.documentation["changes_planned"].count == p.documentation["changes_done"].count == 1
    assert_same_protocol(report, brute.protocol_figures([here, abroad, documented]))


def test_the_nearest_rank_is_counted_in_whole_numbers():
    """0.9 × 70 is 63.00000000000001 in floating point: its ceiling would name the 64th."""
    assert figures.rank(90, 70) == 63
    assert figures.nearest_rank(list(range(1, 71)), 90) == 63
    assert [figures.rank(50, n) for n in (1, 2, 3, 4)] == [1, 1, 2, 2]
