"""/health/ready: 200 while the desk keeps up, 503 naming what does not (README, Seeing it run)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError

from deskside import leases
from deskside.mail import intake
from deskside.mail.models import Door
from deskside.outbox.models import OutboundMail
from deskside.runtime import health, scheduler

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MAIL = b"From: claire@acme.example\r\nSubject: Sev 2 export\r\nMessage-ID: <r1@acme>\r\n\r\nHi\r\n"


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def web(client):
    def ready() -> tuple[int, dict[str, Any]]:
        response = client.get("/health/ready", HTTP_HOST="127.0.0.1")
        assert response["Content-Type"] == "application/json"
        assert "no-cache" in response["Cache-Control"]
        return response.status_code, response.json()

    return ready


def scheduler_running() -> None:
    assert leases.acquire(scheduler.LEASE, "node-a:42:abc", scheduler.LEASE_TTL)


def queued_mail(due: datetime) -> OutboundMail:
    return OutboundMail.objects.create(
        to=["claire@acme.example"],
        primary_to="claire@acme.example",
        subject="Your ticket",
        text="Hello",
        message_id=f"<{due.timestamp()}@deskside.test>",
        purpose="acknowledgement",
        next_attempt_at=due,
    )


def test_a_desk_that_keeps_up_is_ready(web):
    scheduler_running()
    queued_mail(due=NOW - timedelta(seconds=5))  # just queued: the worker sends it now
    status, answer = web()
    assert status == 200
    assert answer["ready"] is True and answer["failing"] == []
    assert list(answer["checks"]) == ["database", "outbox", "stored_mail", "scheduler"]
    assert answer["checks"]["outbox"] == {
        "ok": True,
        "queued": 1,
        "due": 1,
        "oldest_due_seconds": 5.0,
        "limit_seconds": 600.0,
    }
    assert answer["checks"]["scheduler"]["lease_age_seconds"] == 0.0


def test_a_stale_scheduler_lease_is_named(web):
    scheduler_running()
    with time_machine.travel(NOW + timedelta(seconds=91), tick=False):
        status, answer = web()
    assert status == 503
    assert answer["ready"] is False and answer["failing"] == ["scheduler"]
    check = answer["checks"]["scheduler"]
    assert check["lease_age_seconds"] == 91.0
    assert check["problem"] == "the scheduler last renewed its lease 91 s ago"


def test_no_scheduler_at_all_is_named(web, caplog):
    status, answer = web()
    # An answer, not a failed request: no ERROR line for each probe of a balancer.
    assert [r for r in caplog.records if r.name == "django.request"] == []
    assert (status, answer["failing"]) == (503, ["scheduler"])
    assert answer["checks"]["scheduler"]["problem"].startswith("no scheduler holds the lease")


def test_a_mail_due_for_too_long_is_named(web):
    scheduler_running()
    queued_mail(due=NOW - timedelta(minutes=11))
    status, answer = web()
    assert (status, answer["failing"]) == (503, ["outbox"])
    assert answer["checks"]["outbox"]["oldest_due_seconds"] == 660.0
    assert "due for sending for 660 s" in answer["checks"]["outbox"]["problem"]


def test_a_mail_waiting_for_its_next_attempt_is_not_late(web):
    """A refused attempt moves the next one into the future: the mail server's trouble, which
    the outbox's own retries handle, does not make the desk unready."""
    scheduler_running()
    queued_mail(due=NOW + timedelta(minutes=30))
    status, answer = web()
    assert status == 200
    assert answer["checks"]["outbox"]["queued"] == 1 and answer["checks"]["outbox"]["due"] == 0


def test_a_mail_stored_but_never_processed_is_named(web):
    scheduler_running()
    intake.store(MAIL, door=Door.SMTP)
    assert web()[0] == 200  # just stored: the door's worker processes it now
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        scheduler_running()  # the scheduler is fine; the processing is not
        status, answer = web()
    assert (status, answer["failing"]) == (503, ["stored_mail"])
    assert answer["checks"]["stored_mail"]["waiting"] == 1
    assert answer["checks"]["stored_mail"]["oldest_seconds"] == 360.0


def test_a_database_that_does_not_answer_is_named():
    broken = mock.MagicMock()
    broken.cursor.side_effect = OperationalError("connection refused")
    with mock.patch.object(health, "connection", broken):
        checks = health.readiness()
    assert [(c.name, c.ok) for c in checks] == [("database", False)]
    assert checks[0].problem == "the database does not answer: connection refused"


def test_every_cause_at_once_is_named_in_order(web):
    queued_mail(due=NOW - timedelta(hours=1))
    intake.store(MAIL, door=Door.PIPE)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):
        status, answer = web()
    assert (status, answer["failing"]) == (503, ["outbox", "stored_mail", "scheduler"])
