"""/metrics: the figures an operator graphs and alerts on, read with Prometheus' own parser after
known actions, and served to this machine or a bearer token only."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.tasks import TaskResultStatus
from django.test import Client
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from deskside.mail import intake, quarantine
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.mail.results import Result
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.runtime import tally, tasks
from deskside.tickets.tasks import sweep
from deskside.webhooks.models import Endpoint, Kind

pytestmark = pytest.mark.django_db
BXL = ZoneInfo("Europe/Brussels")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=BXL)
TOKEN = "a-metrics-token-of-at-least-32-characters"

type Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    with time_machine.travel(MONDAY_9, tick=False):
        yield


def scrape(client, **extra: str) -> Samples:
    response = client.get("/metrics", HTTP_HOST="127.0.0.1", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def mail(subject: str, sender: str = "Claire Peeters <Claire@Acme.example>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content("Hello, the export fails since this morning. Could you have a look? Thanks")
    return msg.as_bytes()


def take_in(raw: bytes, door: Door) -> Result:
    return intake.ingest(raw, door=door)


def count_tallies(at: datetime) -> None:
    """Two runs of the periodic task, SETTLE apart: the first notes the highest ids, the second
    counts them."""
    with time_machine.travel(at, tick=False):
        tasks.tally_counts.call()
    with time_machine.travel(at + tally.SETTLE, tick=False):
        tasks.tally_counts.call()


def test_the_figures_follow_what_happened(client, people):
    level_1 = take_in(mail("Sev 1 - production down"), Door.SMTP)
    take_in(mail("export question"), Door.SMTP)  # no level: closed at once
    take_in(mail("Sev 3 - report slow"), Door.PIPE)
    held = take_in(mail(f"Re: [{level_1.ticket}] more", "Eve <eve@elsewhere.example>"), Door.IMAP)
    assert held.outcome == Outcome.QUARANTINED

    before = scrape(client)
    assert value(before, "deskside_tickets_open", level="1", status="new") == 1
    assert value(before, "deskside_tickets_open", level="3", status="new") == 1
    assert value(before, "deskside_tickets_open", level="2", status="new") == 0
    assert value(before, "deskside_tickets_open", level="none", status="new") == 0  # closed
    assert value(before, "deskside_held_mails") == 1
    queued = OutboundMail.objects.filter(status=OutboundStatus.QUEUED).count()
    assert queued >= 4  # two acknowledgements, the protocol, the held mail's answer, notices
    assert value(before, "deskside_outbox_queued") == queued
    assert value(before, "deskside_outbox_due") == queued
    assert value(before, "deskside_mails_total", door="smtp", outcome="created") == 0  # not yet

    # 31 minutes later the level-1 ticket's first response (30 minutes) is breached; the sweep
    # has not run yet: it is 8.5 minutes behind (its check was due at 75%, 09:22:30).
    later = MONDAY_9 + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        lagging = scrape(client)
        assert value(lagging, "deskside_clock_sweep_lag_seconds") == 510.0
        assert value(lagging, "deskside_outbox_oldest_due_seconds") == 31 * 60
        sweep()
        assert value(scrape(client), "deskside_clock_sweep_lag_seconds") == 0.0
    count_tallies(later)
    with time_machine.travel(later + tally.SETTLE, tick=False):
        after = scrape(client)
    assert value(after, "deskside_mails_total", door="smtp", outcome="created") == 1
    assert value(after, "deskside_mails_total", door="smtp", outcome="rejected") == 1
    assert value(after, "deskside_mails_total", door="pipe", outcome="created") == 1
    assert value(after, "deskside_mails_total", door="imap", outcome="quarantined") == 1
    assert sum(v for (name, _), v in after.items() if name == "deskside_mails_total") == 4
    assert value(after, "deskside_clock_warnings_total", clock="first_response") == 1
    assert value(after, "deskside_clock_breaches_total", clock="first_response") == 1
    assert value(after, "deskside_clock_breaches_total", clock="goal") == 0


def test_task_queue_depth_and_the_scheduler_lease(client):
    samples = scrape(client)
    assert value(samples, "deskside_tasks_ready", queue="default") == 0
    assert value(samples, "deskside_scheduler_lease_age_seconds") == float("inf")
    tasks.tally_counts.enqueue()
    tasks.prune_task_results.enqueue()
    with time_machine.travel(MONDAY_9 + timedelta(seconds=40), tick=False):
        samples = scrape(client)
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2
    assert value(samples, "deskside_tasks_ready", queue="default") == 2
    assert value(samples, "deskside_tasks_oldest_ready_seconds") == 40.0


def test_webhook_deliveries_waiting_and_paused_endpoints(client, people):
    """What an operator alerts on: events waiting for a receiver, and an endpoint paused."""
    samples = scrape(client)
    assert value(samples, "deskside_webhook_deliveries_queued") == 0
    assert value(samples, "deskside_webhook_endpoints_paused") == 0
    endpoint = Endpoint.objects.create(
        owner=people.lead, url="https://hooks.example/in", secret="whsec_" + "A" * 44
    )
    endpoint.subscriptions.create(kind=Kind.TICKET_CREATED)
    take_in(mail("Sev 2 - export"), Door.SMTP)  # one delivery, due at once
    Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=MONDAY_9)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=5), tick=False):
        samples = scrape(client)
    assert value(samples, "deskside_webhook_deliveries_queued") == 1
    assert value(samples, "deskside_webhook_deliveries_due") == 1
    assert value(samples, "deskside_webhook_oldest_due_seconds") == 300.0
    assert value(samples, "deskside_webhook_endpoints_paused") == 1


def test_request_latency_is_a_histogram_by_part_of_the_site(client):
    def count(samples: Samples, surface: str) -> float:
        return samples.get(
            ("deskside_http_request_duration_seconds_count", (("surface", surface),)), 0.0
        )

    first = scrape(client)
    client.get("/portal/", HTTP_HOST="127.0.0.1")
    client.get("/desk/", HTTP_HOST="127.0.0.1")
    client.get("/desk/", HTTP_HOST="127.0.0.1")
    second = scrape(client)
    assert count(second, "desk") - count(first, "desk") == 2
    assert count(second, "portal") - count(first, "portal") == 1
    assert count(second, "probe") - count(first, "probe") == 1  # the first scrape itself
    inf = ("deskside_http_request_duration_seconds_bucket", (("le", "+Inf"), ("surface", "desk")))
    assert second[inf] == count(second, "desk")


def test_a_scrape_reads_the_database_quickly_and_in_few_queries(
    client, people, django_assert_max_num_queries
):
    take_in(mail("Sev 2 - export"), Door.SMTP)
    with django_assert_max_num_queries(20):
        samples = scrape(client)
    assert value(samples, "deskside_metrics_collect_seconds") < 0.1


# -- the counters never go down --------------------------------------------------------------


def test_a_held_mail_decided_later_stays_counted_as_held(client, people):
    ticket = take_in(mail("Sev 2 - export"), Door.SMTP).ticket
    held = take_in(mail(f"Re: [{ticket}] hello", "Eve <eve@elsewhere.example>"), Door.SMTP)
    assert held.outcome == Outcome.QUARANTINED
    count_tallies(MONDAY_9 + timedelta(minutes=1))
    row = InboundMail.objects.get(message_id=held.message_id)
    quarantine.discard(row, by=people.lead, why="spam")
    count_tallies(MONDAY_9 + timedelta(minutes=5))
    with time_machine.travel(MONDAY_9 + timedelta(minutes=6), tick=False):
        samples = scrape(client)
    assert value(samples, "deskside_mails_total", door="smtp", outcome="quarantined") == 1
    assert value(samples, "deskside_mails_total", door="smtp", outcome="ignored") == 0
    assert value(samples, "deskside_held_mails") == 0  # the gauge says what waits now


def test_a_mail_still_being_processed_holds_the_count_back(people):
    first = take_in(mail("Sev 2 - first"), Door.SMTP)
    stored, _ = intake.store(mail("Sev 2 - second"), door=Door.SMTP)
    take_in(mail("Sev 2 - third"), Door.SMTP)
    count_tallies(MONDAY_9 + timedelta(minutes=1))
    assert tally.read(tally.MAILS) == {("smtp", "created"): 1}  # the first only
    assert first.outcome == Outcome.CREATED
    intake.process(stored.pk)
    assert InboundMail.objects.filter(status=InboundStatus.STORED).count() == 0
    count_tallies(MONDAY_9 + timedelta(minutes=3))
    assert tally.read(tally.MAILS) == {("smtp", "created"): 3}


def test_rows_are_counted_only_once_they_have_settled(people):
    """On PostgreSQL a lower id may commit after a higher one was read; a range is counted only
    SETTLE after its highest id was seen, and each row once."""
    take_in(mail("Sev 2 - one"), Door.SMTP)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=1), tick=False):
        tally.advance_all()  # notes the highest id
        take_in(mail("Sev 2 - two"), Door.SMTP)
    with time_machine.travel(MONDAY_9 + timedelta(minutes=1, seconds=59), tick=False):
        tally.advance_all()
    assert tally.read(tally.MAILS) == {}
    with time_machine.travel(MONDAY_9 + timedelta(minutes=2), tick=False):
        assert tally.advance_all() == 1  # the first; the second was not seen yet
    with time_machine.travel(MONDAY_9 + timedelta(minutes=3), tick=False):
        assert tally.advance_all() == 1
        assert tally.advance_all() == 0
    assert tally.read(tally.MAILS) == {("smtp", "created"): 2}


# -- who may read them -------------------------------------------------------------------------


def status_of(client: Client, remote: str, headers: Mapping[str, str] | None = None) -> int:
    response = client.get("/metrics", headers=headers, HTTP_HOST="127.0.0.1", REMOTE_ADDR=remote)
    return response.status_code


def test_this_machine_may_read_them_others_may_not(client):
    assert status_of(client, "127.0.0.1") == 200
    assert status_of(client, "::1") == 200
    response = client.get("/metrics", HTTP_HOST="127.0.0.1", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"DESKSIDE_METRICS_TOKEN" in response.content
    assert b"deskside_" not in response.content


def test_behind_the_proxy_the_clients_own_address_counts(client):
    """nginx on this machine forwards a request from outside: its address is loopback, the
    client's (X-Forwarded-For, believed from a trusted proxy) is not."""
    assert status_of(client, "127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}) == 403
    assert status_of(client, "127.0.0.1", {"X-Forwarded-For": "127.0.0.1"}) == 200
    # An untrusted sender's X-Forwarded-For is its own word, not a way in.
    assert status_of(client, "203.0.113.9", {"X-Forwarded-For": "127.0.0.1"}) == 403


def test_the_bearer_token_lets_another_machine_read_them(client, settings):
    settings.DESKSIDE_METRICS_TOKEN = TOKEN
    assert status_of(client, "203.0.113.9", {"Authorization": f"Bearer {TOKEN}"}) == 200
    wrong = client.get(
        "/metrics",
        HTTP_HOST="127.0.0.1",
        REMOTE_ADDR="203.0.113.9",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}x",
    )
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"] == 'Bearer realm="deskside metrics"'
    assert status_of(client, "203.0.113.9") == 401
    assert status_of(client, "203.0.113.9", {"Authorization": TOKEN}) == 401  # no "Bearer "
    assert status_of(client, "127.0.0.1") == 200  # this machine needs none


# -- a running desk ------------------------------------------------------------------------------


def parsed(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def metrics_folder(desk) -> Path:
    """The folder where the desk's gunicorn workers keep their observations."""
    from tests.runtime.processes import descendants

    for pid in descendants(desk.proc.pid):
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        for variable in environ:
            if variable.startswith(b"PROMETHEUS_MULTIPROC_DIR="):
                return Path(variable.split(b"=", 1)[1].decode())
    raise AssertionError("no part of the desk has a metrics folder")


def test_a_running_desk_is_ready_and_sums_the_latency_of_all_its_web_workers(start_desk):
    desk = start_desk(env={"DATABASE_URL": ""})  # a database of its own
    desk.wait_for_output("Deskside is running.")
    deadline = time.monotonic() + 30
    while (answer := desk.fetch("/health/ready"))[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    status, body = answer
    assert status == 200, body
    assert json.loads(body)["ready"] is True
    # Eight at once, so that the second gunicorn worker has to answer too (one idle worker can
    # take every request that comes one after another); until both keep a file of their own.
    asked = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(histograms := list(metrics_folder(desk).glob("histogram_*.db"))) < 2:
            assert time.monotonic() < deadline + 30, f"one worker answered {asked} requests"
            statuses = list(pool.map(lambda _: desk.get("/health")[0], range(40)))
            assert statuses == [200] * 40
            asked += 40
    assert len(histograms) == 2
    status, body = desk.fetch("/metrics")
    assert status == 200
    samples = parsed(body)
    # Whichever worker answers the scrape sums both workers' files.
    count = samples[("deskside_http_request_duration_seconds_count", (("surface", "probe"),))]
    assert count >= asked + 1  # the /health calls and the readiness answers (at least one)
    assert samples[("deskside_scheduler_lease_age_seconds", ())] < 5
    folder = metrics_folder(desk)
    desk.stop()
    assert not folder.exists()  # the run's folder goes with the desk
