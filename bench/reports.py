"""Benchmark: a month's report at a million tickets, the lead's page and the client's portal page.

Run as `.venv/bin/python bench/reports.py`; prints one JSON object (progress on standard error).
For each database (SQLite; PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL names one) a child
process (`--one sqlite|postgres`) makes a fresh database, migrates it, seeds `--tickets` tickets
(default 1,000,000) received over two years with the events a report reads (reassessments,
replies, waits and answers, reminders, milestones, resolves, closes, reopenings, new mail closed
for its level and come back with one), and then requests, with Django's test Client:

- the lead's report of the last whole month (`/desk/reports/?period=month&day=...`), all
  organisations, and filtered to one organisation;
- the client's portal report of the same month, signed in as a contact of the busiest
  organisation (`/portal/report/?month=...`).

Per page: p50 and p95 of the server time and the number of SQL queries. Beside them, in the same
run, the naive recomputation: every figure of the month recomputed from the tickets' events,
replies and documentation changes (`figures.report`, what the page did before the
rollup), timed the same way.

Seeding reuses bench/desk.py's Writer (executemany on SQLite, COPY on PostgreSQL) and its load
preparation (search triggers or secondary indexes dropped during the load, made again after).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import desk as seeding  # noqa: E402 - bench/desk.py, beside this file

TICKETS = 1_000_000
REQUESTS = 20
WARMUP = 2
NAIVE_RUNS = 3
DAYS = 730  # tickets received over the last two years
CHUNK = 20_000
SEED = 20261204
TARGET_P95_MS = 300
TARGET_QUERIES = 20
LEAD_PAGES = True  # --no-lead: the client's page only (the lead's takes a minute a request)
PROFILE = False  # --profile: one more request of each page under cProfile, its top lines printed
seeding.BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "deskside_bench_reports")

LEVELS = {1: 5, 2: 15, 3: 45, 4: 35}
DOORS = {"mail": 65, "web": 25, "note": 10}  # the first message's kind; a note: typed at the desk
CLOSE_REASONS = {
    "solved": 55,
    "answered": 15,
    "withdrawn": 8,
    "duplicate": 5,
    "out_of_scope": 5,
    "client_unavailable": 6,
    "client_uncooperative": 3,
    "client_refused": 3,
}
MILESTONES = ("solution", "temporary_solution", "workaround")


def _progress(message: str) -> None:
    print(f"[reports bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Seeder:
    """Ticket ids in the order of receipt; every time in UTC, each ticket's events in order."""

    def __init__(self, tickets: int, vendor: str, now: datetime) -> None:
        self.rng = random.Random(SEED)
        self.random = self.rng.random
        self.n = tickets
        self.vendor = vendor
        self.now = now
        self.start = now - timedelta(days=DAYS)
        self.step = (now - timedelta(hours=2) - self.start) / tickets
        self.message_id = 0
        self.events = 0

    def _pick(self, items: Any) -> Any:
        return items[int(self.random() * len(items))]

    def _dt(self, value: datetime | None) -> Any:
        if value is None:
            return None
        return str(value)[:-6] if self.vendor == "sqlite" else str(value)

    def _json(self, data: dict[str, Any]) -> Any:
        return json.dumps(data) if self.vendor == "sqlite" else data

    def chunks(
        self, agents: list[tuple[int, str]], contacts: int, contact_org: list[int]
    ) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
        level_pool = [k for k, w in LEVELS.items() for _ in range(w)]
        door_pool = [k for k, w in DOORS.items() for _ in range(w)]
        reason_pool = [k for k, w in CLOSE_REASONS.items() for _ in range(w)]
        weights = [1 / (k + 1) ** 1.1 for k in range(contacts)]  # a few clients write most
        for first in range(1, self.n + 1, CHUNK):
            last = min(self.n, first + CHUNK - 1)
            picked = self.rng.choices(range(1, contacts + 1), weights, k=last - first + 1)
            tickets: list[Any] = []
            messages: list[Any] = []
            events: list[Any] = []
            for number in range(first, last + 1):
                contact = picked[number - first]
                self._ticket(
                    number,
                    contact,
                    contact_org[contact],
                    agents,
                    (level_pool, door_pool, reason_pool),
                    (tickets, messages, events),
                )
            yield tickets, messages, events

    def _ticket(
        self,
        number: int,
        contact: int,
        org: int,
        agents: list[tuple[int, str]],
        pools: tuple[list[Any], list[Any], list[Any]],
        out: tuple[list[Any], list[Any], list[Any]],
    ) -> None:
        level_pool, door_pool, reason_pool = pools
        tickets, messages, events = out
        r = self.random
        received = self.start + self.step * number + timedelta(seconds=int(r() * 300))
        age = self.now - received
        door = self._pick(door_pool)
        agent = self._pick(agents)
        level: int | None = self._pick(level_pool)
        claimed = level
        subject = f"Level {level} - the export stops with E{1000 + number % 9000}"
        t = received
        evs: list[tuple[str, datetime, dict[str, Any], tuple[int, str] | None]] = []
        msgs: list[tuple[str, str, datetime]] = [("inbound", door, t)]
        evs.append(("created", t, {"severity": level, "subject": subject}, None))
        status, reason = "open", ""
        if door == "mail" and r() < 0.06:
            why = "no_severity" if r() < 0.7 else "invalid_severity"
            subject = "the export stops" if why == "no_severity" else "Level 7 - the export"
            evs[0] = ("created", t, {"severity": None, "subject": subject}, None)
            t += timedelta(minutes=1)
            evs.append(("closed", t, {"reason": why}, None))
            if r() > 0.35 or age < timedelta(days=3):
                tickets.append(
                    self._row(number, subject, (contact, org), (None, None), "closed", why, door)
                    + self._tail(received, "closed", None, t)
                )
                self._write(number, msgs, evs, agent, messages, events)
                return
            t += timedelta(hours=1 + r() * 30)
            msgs.append(("inbound", "mail", t))
            evs.append(
                ("reopened", t, {"reason": "level given", "was": why, "severity": level}, None)
            )
        elif level is not None and r() < 0.1:
            claimed = max(1, min(4, level + self._pick((-1, 1))))
            t += timedelta(minutes=10 + r() * 120)
            evs.append(
                ("reassessed", t, {"was": claimed, "level": level, "reason": "impact"}, agent)
            )
        open_now = (age < timedelta(days=30) and r() < 0.5) or r() < 0.002
        replies = 1 + int(r() * r() * 5)
        for k in range(replies):
            t += timedelta(minutes=5 + r() * (240 if k == 0 else 2 * 24 * 60))
            msgs.append(("outbound", "reply", t))
            if k == 0 and r() < 0.25:
                t += timedelta(minutes=1)
                evs.append(("waiting", t, {"note": "steps proposed"}, agent))
                if r() < 0.1:
                    t += timedelta(days=3)
                    evs.append(
                        ("reminder", t, {"number": 1, "waiting_since": "", "message": 0}, None)
                    )
                t += timedelta(hours=1 + r() * 48)
                msgs.append(("inbound", "mail", t))
                evs.append(("resumed", t, {"was": "waiting_on_client"}, None))
        if t >= self.now:
            t = self.now - timedelta(minutes=1)
            open_now = True
        end: datetime | None = None
        if open_now:
            status = self._pick(("new", "open", "open", "waiting_on_client"))
        else:
            t += timedelta(minutes=5 + r() * 600)
            reason = self._pick(reason_pool)
            if level == 4 and reason == "solved":
                reason = "answered"
            if reason in ("solved", "answered"):
                milestone = "answer" if reason == "answered" else self._pick(MILESTONES)
                evs.append(("milestone", t, {"milestone": milestone}, agent))
            if r() < 0.1 and reason == "solved":
                msgs.append(("outbound", "resolution", t))
                evs.append(("resolved", t, {"was": "open", "message": 0}, agent))
                status, reason = "resolved", ""
            else:
                evs.append(("closed", t, {"reason": reason}, agent))
                status = "closed"
                if r() < 0.03:  # the client writes again: reopened, answered, closed again
                    t += timedelta(days=1 + r() * 5)
                    evs.append(
                        (
                            "reopened",
                            t,
                            {"reason": "answer", "was": reason, "severity": level},
                            None,
                        )
                    )
                    t += timedelta(hours=2)
                    msgs.append(("outbound", "reply", t))
                    evs.append(("closed", t, {"reason": reason}, agent))
            end = t if t < self.now else None
            if end is None:
                status, reason = "open", ""
                evs = [e for e in evs if e[1] < self.now]
        tickets.append(
            self._row(number, subject, (contact, org), (claimed, level), status, reason, door)
            + self._tail(received, status, agent[0] if status != "new" else None, end)
        )
        self._write(number, msgs, evs, agent, messages, events)

    def _row(
        self,
        number: int,
        subject: str,
        who: tuple[int, int],
        levels: tuple[int | None, int | None],
        status: str,
        reason: str,
        first_kind: str,
    ) -> tuple[Any, ...]:
        """The columns before received_at and its copies (TICKET_COLUMNS)."""
        door = {"mail": "mail", "web": "portal"}.get(first_kind, "desk")  # as the desk records it
        return (number, subject, *who, *levels, status, reason, "en", door)

    def _tail(
        self, received: datetime, status: str, assignee: int | None, end: datetime | None
    ) -> tuple[Any, ...]:
        """The columns from received_at on (TICKET_COLUMNS)."""
        at = self._dt(received)
        in_queue = status in ("new", "open", "waiting_on_client")
        return (at, at, self._dt(end or received), in_queue, assignee, self._dt(end))

    def _write(
        self,
        number: int,
        msgs: list[tuple[str, str, datetime]],
        evs: list[tuple[str, datetime, dict[str, Any], tuple[int, str] | None]],
        agent: tuple[int, str],
        messages: list[Any],
        events: list[Any],
    ) -> None:
        for direction, kind, at in msgs:
            if at >= self.now:
                continue
            self.message_id += 1
            if kind == "note":
                direction = "internal"
            author = agent[0] if direction != "inbound" else None
            messages.append(
                (
                    self.message_id,
                    number,
                    direction,
                    kind,
                    agent[1] if author else "client@example.com",
                    author,
                    "",
                    "Thank you.",
                    "Thank you.",
                    "",
                    "",
                    "",
                    self._dt(at),
                )
            )
        for kind, at, data, by in evs:
            self.events += 1
            events.append(
                (
                    number,
                    by[0] if by else None,
                    by[1] if by else "system",
                    kind,
                    self._json(data),
                    self._dt(at),
                )
            )


TICKET_COLUMNS = [
    "id",
    "subject",
    "contact_id",
    "organisation_id",
    "claimed_severity",
    "severity",
    "status",
    "close_reason",
    "language",
    "door",
    "received_at",
    "created_at",
    "updated_at",
    "in_queue",
    "assignee_id",
    "closed_at",
]


def seed(tickets: int, agents: list[tuple[int, str]], now: datetime) -> dict[str, Any]:
    from django.db import connection, transaction

    from deskside.accounts.models import Contact, Organisation
    from deskside.tickets.models import Event, Message, Ticket

    vendor = connection.vendor
    timings: dict[str, float] = {}
    started = time.perf_counter()
    people = seeding.Seeder(1, vendor, now)  # the desk bench's organisations and contacts
    seeder = Seeder(tickets, vendor, now)
    writers = {
        "organisations": seeding.Writer(Organisation, seeding.ORGANISATION_COLUMNS, vendor),
        "contacts": seeding.Writer(Contact, seeding.CONTACT_COLUMNS, vendor),
        "tickets": seeding.Writer(Ticket, TICKET_COLUMNS, vendor),
        "messages": seeding.Writer(Message, seeding.MESSAGE_COLUMNS, vendor),
        "events": seeding.Writer(Event, seeding.EVENT_COLUMNS, vendor),
    }
    connection.ensure_connection()
    raw = connection.connection
    before = seeding._prepare_load(raw, vendor)
    cursor = raw.cursor()
    with transaction.atomic():
        writers["organisations"].write(cursor, people.organisations())
        writers["contacts"].write(cursor, people.contacts())
    done = 0
    for chunk in seeder.chunks(agents, seeding.CONTACTS, people.contact_org):
        with transaction.atomic():
            for name, rows in zip(("tickets", "messages", "events"), chunk, strict=True):
                writers[name].write(cursor, rows)
        done += len(chunk[0])
        if done % (CHUNK * 10) == 0 or done == tickets:
            _progress(f"{vendor}: {done:,} tickets written ({time.perf_counter() - started:.0f} s)")
    timings["rows"] = round(time.perf_counter() - started, 1)
    seeding._finish_load(raw, vendor, before, timings)
    timings["total"] = round(time.perf_counter() - started, 1)
    return {"seconds": timings, "messages": seeder.message_id, "events": seeder.events}


def _timed_runs(work: Any, runs: int, warmup: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        work()
    with CaptureQueriesContext(connection) as captured:
        work()
    captured_queries = list(captured.captured_queries)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(seeding._percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": len(captured_queries),
        "sql_ms_one_run": round(sum(float(q["time"]) for q in captured_queries) * 1000, 1),
        "query_list": [
            f"{float(q['time']) * 1000:.1f} ms  {' '.join(q['sql'].split())[:160]}"
            for q in captured_queries
        ],
    }


def _profiled(work: Any) -> str:
    """Where one run of `work` spends its time: the 30 functions of most time of their own."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.runcall(work)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(30)
    return text.getvalue()


def _page(client: Any, url: str) -> Any:
    def get() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    return get


def run_one(database: str, tickets: int, requests: int, warmup: int) -> dict[str, Any]:
    info = seeding._setup_django(database)
    _progress(f"{database}: migrated in {info['migrate_seconds']} s")
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from deskside.accounts.models import Contact
    from deskside.reports import figures
    from deskside.reports.period import Kind, period_of
    from deskside.tickets import policy
    from deskside.tickets.models import Event, Message, Ticket

    agents = seeding.make_agents()
    lead = User.objects.create(username="lead", first_name="Lead")
    lead.groups.add(Group.objects.get(name="lead"))

    now = datetime.now(UTC)
    seeded = seed(tickets, agents, now)
    rollup: dict[str, Any] = {}
    started = time.perf_counter()  # the rollup, from the events just seeded
    call_command("backfill_reports", verbosity=0, stdout=io.StringIO())  # stdout: the JSON
    rollup["backfill_seconds"] = round(time.perf_counter() - started, 1)
    _progress(f"{database}: rollup backfilled in {rollup['backfill_seconds']} s")
    counts = {
        "tickets": Ticket.objects.count(),
        "messages": Message.objects.count(),
        "events": Event.objects.count(),
    }
    cal = policy.calendar()
    today = now.astimezone(cal.tz).date()
    month = period_of(Kind.MONTH, today.replace(day=1) - timedelta(days=1))
    start, end = month.bounds(cal.tz)
    in_month = Ticket.objects.filter(received_at__gte=start, received_at__lt=end)
    busiest = (
        in_month.values("organisation_id").annotate(n=Count("id")).order_by("-n").first() or {}
    )
    org = busiest.get("organisation_id")
    counts["tickets_in_month"] = in_month.count()
    counts["tickets_of_the_organisation_in_month"] = busiest.get("n", 0)
    contact = Contact.objects.filter(organisation_id=org).order_by("pk").first()
    assert contact is not None
    contact.user = User.objects.create(username="client", email=contact.email)
    contact.save(update_fields=["user"])
    connection.close()
    _progress(f"{database}: seeded {counts} in {seeded['seconds']['total']} s; measuring")

    day = month.first.isoformat()
    staff, portal = Client(), Client()
    staff.force_login(lead)
    portal.force_login(contact.user)
    month_text = month.first.strftime("%Y-%m")
    pages = {
        "lead_month": f"/desk/reports/?period=month&day={day}",
        "lead_month_one_organisation": f"/desk/reports/?period=month&day={day}&organisation={org}",
        "client_portal_month": f"/portal/report/?month={month_text}",
    }
    results: dict[str, Any] = {}
    for name, url in pages.items():
        if name.startswith("lead") and not LEAD_PAGES:
            results[name] = {"url": url, "skipped": "--no-lead"}
            continue
        client = portal if name.startswith("client") else staff
        results[name] = {"url": url, **_timed_runs(_page(client, url), requests, warmup)}
        _progress(f"{database}: {name} {results[name]}")
        if PROFILE:
            _progress(_profiled(_page(client, url)))
    targets = policy.targets()
    naive_runs = (("naive_month", figures.Filters()),) if LEAD_PAGES else ()
    for name, only in (
        *naive_runs,
        ("naive_month_one_organisation", figures.Filters(organisation=org)),
    ):
        results[name] = _timed_runs(
            lambda only=only: figures.report(month, only, timezone_now(), cal, targets),
            NAIVE_RUNS,
            1,
        )
        _progress(f"{database}: {name} {results[name]}")
    pages_only = {
        k: v for k, v in results.items() if not k.startswith("naive") and "skipped" not in v
    }
    meets = {
        k: v["p95_ms"] <= TARGET_P95_MS and v["queries"] <= TARGET_QUERIES
        for k, v in pages_only.items()
    }
    size = seeding._database_bytes(info)
    seeding._clean_up(info)
    return {
        "vendor": database,
        "database_version": info["version"],
        "counts": counts,
        "database_bytes": size,
        "month": month_text,
        "seeding": {**seeded, "migrate_seconds": info["migrate_seconds"], **rollup},
        "pages": results,
        "meets_targets": meets,
    }


def timezone_now() -> datetime:
    from django.utils import timezone

    return timezone.now()


NOTES = [
    "server time = time around django.test.Client.get() (middleware, view, template), no network",
    "queries = SQL statements of one request after the warm-up",
    "naive_* = every figure of the month recomputed from the tickets' events, replies and "
    "documentation changes in the same process (the page's path before the rollup); no template",
    "the month is the last whole month before the run, in Brussels time",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", choices=["sqlite", "postgres"], help="(used by the bench itself)")
    parser.add_argument("--tickets", type=int, default=TICKETS, help="default 1,000,000")
    parser.add_argument("--requests", type=int, default=REQUESTS, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed requests per page")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    parser.add_argument(
        "--no-lead", dest="lead", action="store_false", help="skip the lead's page and its naive"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile one more request of each page (stderr)"
    )
    args = parser.parse_args()
    global LEAD_PAGES, PROFILE
    LEAD_PAGES, PROFILE = args.lead, args.profile
    if args.one:
        print(json.dumps(run_one(args.one, args.tickets, args.requests, args.warmup)))
        return
    load = os.getloadavg()
    started = time.perf_counter()
    options = ["--tickets", str(args.tickets), "--requests", str(args.requests)]
    options += ["--warmup", str(args.warmup), *([] if args.lead else ["--no-lead"])]
    options += ["--profile"] if args.profile else []
    results = seeding.each_database(__file__, options, args.only)
    print(
        json.dumps(
            {
                "benchmark": "reports",
                "tickets": args.tickets,
                "requests_per_page": args.requests,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "load_average_at_start": [round(x, 2) for x in load],
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "seconds": round(time.perf_counter() - started, 1),
                "targets": {"p95_ms": TARGET_P95_MS, "queries": TARGET_QUERIES},
                **results,
                "notes": NOTES,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
