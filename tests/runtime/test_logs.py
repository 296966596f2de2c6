"""What the desk writes to its log: quiet by default, a line per mail and per error, and one
JSON object per line when asked (README, Seeing it run)."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import time

import pytest
from django.tasks import task


@pytest.fixture
def security_log():
    """What the DisallowedHost logger's own handler writes, as the console would show it."""
    handler = logging.getLogger("django.security.DisallowedHost").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_request_for_a_foreign_host_is_one_line_without_a_traceback(client, security_log):
    response = client.get("/portal/", HTTP_HOST="203.0.113.7")
    assert response.status_code == 400
    lines = security_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    # Django's own sentence, which tells the operator what to add to ALLOWED_HOSTS.
    assert "django.security.DisallowedHost: Invalid HTTP_HOST header: '203.0.113.7'" in lines[0]
    assert "add '203.0.113.7' to ALLOWED_HOSTS" in lines[0]
    assert "Traceback" not in security_log.getvalue()


def test_other_errors_keep_their_traceback():
    """Only the refused host is shortened: the console handler still prints a stack."""
    console = logging.getLogger().handlers[0]
    assert type(console.formatter) is logging.Formatter  # the "plain" one, not WithoutTraceback
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("deskside").makeRecord(
            "deskside", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    assert "Traceback" in console.format(record)


# -- the JSON format ---------------------------------------------------------------------------


def test_the_json_format_is_one_object_per_line_with_the_exception_text():
    from deskside.runtime.logs import JsonLines

    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logging.getLogger("deskside.mail").makeRecord(
            "deskside.mail", logging.ERROR, __file__, 1, "mail %s failed", (7,), sys.exc_info()
        )
    line = JsonLines().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message", "exception"}
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "ERROR",
        "deskside.mail",
        "mail 7 failed",
    )
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert entry["exception"].endswith("ValueError: boom\nsecond line")
    assert entry["time"].endswith("+00:00") and "T" in entry["time"]


# -- task runs -----------------------------------------------------------------------------------


@task()
def succeeds() -> int:
    return 1


@task()
def fails() -> int:
    raise RuntimeError("the mail server is gone")


def run_in_worker(task_function) -> None:
    """What `deskside run`'s worker does with a queued run."""
    from django_tasks_db.models import DBTaskResult

    from deskside.runtime.worker import Worker

    result = task_function.enqueue()
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    worker.run_task(DBTaskResult.objects.get(pk=result.id))


@pytest.mark.django_db
def test_a_task_run_writes_nothing_at_info(caplog):
    caplog.set_level(logging.DEBUG)
    run_in_worker(succeeds)
    assert [r for r in caplog.records if r.levelno >= logging.INFO] == []
    debug = [r.getMessage() for r in caplog.records if r.name == "deskside.tasks"]
    assert len(debug) == 2
    assert debug[0].startswith("task tests.runtime.test_logs.succeeds (")
    assert debug[1].endswith("finished: SUCCESSFUL")


@pytest.mark.django_db
def test_a_failed_task_run_is_one_error_with_its_traceback(caplog):
    caplog.set_level(logging.INFO)
    run_in_worker(fails)
    errors = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(errors) == 1
    assert errors[0].levelname == "ERROR"
    assert errors[0].getMessage().startswith("task tests.runtime.test_logs.fails (")
    assert errors[0].exc_info is not None
    assert "the mail server is gone" in str(errors[0].exc_info[1])


# -- a working desk --------------------------------------------------------------------------

# Long enough for every periodic job to run at least once: the outbox every 15 s, the clock
# sweep, the stored-mail sweep and the tallies every 30 s.
QUIET_FOR = 35.0


def run_and_mail(start_desk, mails: int, requests: int = 0, **env: str):
    """The lines a desk wrote while it took `mails` mails and `requests` requests for /health
    and then ran for QUIET_FOR seconds, up to (not including) its stop."""
    from tests.runtime.desks import send_mail

    desk = start_desk(env={"DATABASE_URL": ""} | env)  # a database of its own
    desk.wait_for_output("Deskside is running.")
    for number in range(mails):
        send_mail(desk, f"Sev {2 + number % 2} - export {number}")
    for _ in range(requests):
        assert desk.get("/health")[0] == 200
    started = time.monotonic()
    while desk.output().count("mail ") < mails and time.monotonic() - started < 30:
        time.sleep(0.2)
    time.sleep(QUIET_FOR)
    lines = desk.output().splitlines()
    desk.stop()
    return lines


def test_a_working_desk_writes_a_line_per_mail_and_nothing_every_few_seconds(start_desk):
    lines = run_and_mail(start_desk, 3)
    mail_lines = [line for line in lines if " INFO deskside.mail: mail " in line]
    assert len(mail_lines) == 3, "\n".join(lines)
    assert all(re.search(r"mail \d+ \(smtp, <.+>\): created CCS-\d+$", m) for m in mail_lines)
    # What starting says (two lines of `deskside run`, one per part, "running", and one line
    # from each of the worker, the scheduler and the SMTP door), then only the mail.
    assert len(lines) == 2 + 4 + 1 + 3 + 3, "\n".join(lines)
    assert not [line for line in lines if "Task id=" in line or "deskside.tasks" in line]
    assert not [line for line in lines if '"GET ' in line]  # no access log by default


def test_the_json_format_covers_every_line_of_a_working_desk(start_desk):
    lines = run_and_mail(
        start_desk, 2, requests=2, DESKSIDE_LOG_FORMAT="json", DESKSIDE_ACCESS_LOG="true"
    )
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)
    mails = [e for e in entries if e["logger"] == "deskside.mail"]
    assert [e["level"] for e in mails] == ["INFO", "INFO"]
    said = [e["message"] for e in entries if e["logger"] == "deskside.run"]
    assert said[0] == "Deskside: preparing the database…"
    assert "Deskside is running. Press Ctrl-C to stop." in said
    # Gunicorn's access log, asked for here, in the same format: one line per request.
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    assert len(access) == 2 and all('"GET /health HTTP/1.1" 200' in e["message"] for e in access)
    assert not [e for e in entries if e["logger"] in ("django.tasks", "deskside.tasks")]
