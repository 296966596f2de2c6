"""The outbox against a real SMTP dialogue: an aiosmtpd sink on a free port receives what
`deliver_due()` sends, and is stopped to play an SMTP outage (no listener on the port)."""

from __future__ import annotations

import contextlib
import email
import socket
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connection, transaction
from django.tasks import TaskResultStatus, task_backends
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.outbox.send import (
    LOOP_HEADER,
    MAX_ATTEMPTS,
    Attached,
    HeaderInjection,
    backoff,
    build,
    deliver_due,
    message_id_domain,
    queue,
)

pytestmark = pytest.mark.django_db

CLIENT = "claire@acme.example"


@dataclass
class Recorder:
    """The sink's handler: keeps every envelope it accepted."""

    envelopes: list[Envelope] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(bytes(e.original_content or b""), policy=policy.default)
            for e in self.envelopes
        ]


class Sink:
    """An SMTP server that can be stopped and started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.recorder = Recorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port, server_hostname="sink.test"
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.recorder.messages()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def sink(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    server = Sink(settings.EMAIL_PORT)
    server.start()
    yield server
    server.stop()


def queue_answer(number: int = 1, **kwargs: object) -> OutboundMail:
    defaults: dict[str, object] = {
        "to": [CLIENT],
        "subject": f"[CCS-{number}] We received your mail",
        "text": "Thank you, we are on it.\n",
        "purpose": "acknowledgement",
        "ticket_ref": f"CCS-{number}",
        "in_reply_to": f"client-{number}@acme.example",
        "references": [f"client-{number}@acme.example"],
    }
    return queue(**{**defaults, **kwargs})  # type: ignore[arg-type]


def test_a_queued_mail_is_delivered_once_with_threading_and_loop_headers(sink):
    mail = queue_answer(42)

    assert deliver_due() == 1
    assert deliver_due() == 0

    [envelope] = sink.recorder.envelopes
    assert envelope.rcpt_tos == [CLIENT]
    [message] = sink.messages
    assert message["Message-ID"] == f"<{mail.message_id}>"
    assert mail.message_id.endswith("@" + message_id_domain())
    assert message["In-Reply-To"] == "<client-42@acme.example>"
    assert message["References"] == "<client-42@acme.example>"
    assert message[LOOP_HEADER] == message_id_domain()
    assert message["Subject"] == "[CCS-42] We received your mail"
    assert "Auto-Submitted" not in message
    assert "X-Auto-Response-Suppress" not in message
    mail.refresh_from_db()
    assert (mail.status, mail.attempts, mail.last_error) == (OutboundStatus.SENT, 1, "")
    assert mail.sent_at is not None


def test_an_automatic_answer_is_marked_so_that_robots_do_not_answer_it(sink):
    queue_answer(automatic=True)

    deliver_due()

    [message] = sink.messages
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"


def test_plain_text_and_html_travel_as_alternatives(sink):
    queue_answer(text="Plain words.\n", html="<p>Rich <b>words</b>.</p>")

    deliver_due()

    [message] = sink.messages
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content().strip() == "Plain words."
    assert rich is not None and "<b>words</b>" in rich.get_content()


def test_text_only_mail_is_single_part(sink):
    queue_answer(text="Only text.\n")

    deliver_due()

    [message] = sink.messages
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Only text."


def test_files_travel_as_attachments_read_from_the_data_directory(sink, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "a1").write_bytes(b"%PDF-1.7 report")
    queue_answer(
        text="The report.\n",
        html="<p>The report.</p>",
        attachments=[Attached("Rapport août.pdf", "application/pdf", "attachments/a1")],
    )

    deliver_due()

    [message] = sink.messages
    assert message.get_content_type() == "multipart/mixed"
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "Rapport août.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == b"%PDF-1.7 report"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "The report."


def test_a_text_file_keeps_its_bytes_and_an_odd_type_goes_as_a_plain_file(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "t1").write_bytes(b"a;b\r\nc;d")
    mail = queue_answer(
        attachments=[
            Attached("export.csv", "text/csv", "attachments/t1"),
            Attached("odd", "foo", "attachments/t1"),
            Attached("partial", "message/partial", "attachments/t1"),
        ]
    )
    sent = build(mail).message()
    csv, odd, partial = sent.iter_attachments()
    assert csv.get_content_type() == "text/csv"
    assert csv.get_payload(decode=True) == b"a;b\r\nc;d"  # CRLF kept, no newline added
    assert odd.get_content_type() == partial.get_content_type() == "application/octet-stream"


def test_a_file_outside_the_attachments_folder_is_never_read(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    (tmp_path / "data" / "attachments").mkdir(parents=True)
    (tmp_path / "secret").write_text("not for mail")
    for path in ("../secret", str(tmp_path / "secret"), "attachments/../../secret"):
        mail = queue_answer(attachments=[Attached("x", "text/plain", path)])
        with pytest.raises(ValueError, match="must lie in"):
            build(mail)


def test_mail_queued_during_an_outage_is_delivered_once_the_server_is_back(sink):
    sink.stop()  # nothing listens on the port now
    mails = [queue_answer(n) for n in (1, 2, 3)]
    before = timezone.now()

    assert deliver_due() == 0  # connection refused: no exception escapes

    for mail in mails:
        mail.refresh_from_db()
        assert mail.status == OutboundStatus.QUEUED
        assert mail.attempts == 1
        assert mail.last_error
        assert mail.next_attempt_at >= before + backoff(1)
    assert deliver_due() == 0  # still inside the back-off: not even tried
    assert OutboundMail.objects.filter(attempts=1).count() == 3

    sink.start()
    with time_machine.travel(timezone.now() + backoff(1) + timedelta(seconds=1)):
        assert deliver_due() == 3
        assert deliver_due() == 0

    delivered = sorted(m["Message-ID"] for m in sink.messages)
    assert delivered == sorted(f"<{m.message_id}>" for m in mails)
    assert set(OutboundMail.objects.values_list("status", "attempts", "last_error")) == {
        (OutboundStatus.SENT, 2, "")
    }


def test_a_refused_recipient_fails_alone_and_the_other_mails_go_out(sink):
    sink.recorder.refused.add("gone@acme.example")
    first = queue_answer(1)
    refused = queue_answer(2, to=["gone@acme.example"])
    last = queue_answer(3)

    assert deliver_due() == 2

    assert sorted(m["Message-ID"] for m in sink.messages) == sorted(
        f"<{m.message_id}>" for m in (first, last)
    )
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (OutboundStatus.QUEUED, 1)
    assert "550" in refused.last_error


def test_a_silent_server_times_out_instead_of_hanging_the_worker(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_TIMEOUT = 1
    with socket.socket() as silent:  # accepts connections (the kernel does) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        mails = [queue_answer(n) for n in (1, 2)]

        assert deliver_due() == 0

    for mail in mails:
        mail.refresh_from_db()
        assert (mail.status, mail.attempts) == (OutboundStatus.QUEUED, 1)
        assert "timed out" in mail.last_error


def test_a_mail_that_never_gets_through_fails_for_good_after_max_attempts(sink):
    sink.stop()
    mail = queue_answer()

    for attempt in range(1, MAX_ATTEMPTS + 1):
        mail.refresh_from_db()
        with time_machine.travel(mail.next_attempt_at + timedelta(seconds=1)):
            assert deliver_due() == 0
        mail.refresh_from_db()
        assert mail.attempts == attempt

    assert mail.status == OutboundStatus.FAILED
    assert "Connection" in mail.last_error or "refused" in mail.last_error.lower()
    sink.start()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert deliver_due() == 0
    assert sink.messages == []


def test_back_off_grows_exponentially_up_to_four_hours():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(MAX_ATTEMPTS) == timedelta(hours=4)


@pytest.mark.parametrize(
    "field_values",
    [
        {"subject": "x\r\nBcc: evil@x"},
        {"subject": "x\nBcc: evil@x"},
        {"subject": "x\u2028Bcc: evil@x"},
        {"to": ["claire@acme.example\r\nBcc: evil@x"]},
        {"in_reply_to": "a@b\r\nBcc: evil@x"},
        {"references": ["a@b", "c@d\nBcc: evil@x"]},
    ],
    ids=["crlf-subject", "lf-subject", "unicode-line-separator", "address", "in-reply-to", "refs"],
)
def test_header_injection_is_refused_and_nothing_is_written(sink, field_values):
    with pytest.raises(HeaderInjection):
        queue_answer(**field_values)

    assert not OutboundMail.objects.exists()
    assert deliver_due() == 0
    assert sink.messages == []


def test_a_rolled_back_change_leaves_no_mail_and_sends_nothing(
    sink, django_capture_on_commit_callbacks
):
    class Undo(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Undo),
        transaction.atomic(),
    ):
        queue_answer()
        raise Undo

    assert callbacks == []
    assert not OutboundMail.objects.exists()
    assert task_backends["default"].results == []  # type: ignore[attr-defined]
    assert deliver_due() == 0
    assert sink.messages == []


def test_a_committed_mail_asks_the_worker_to_deliver(sink, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue_answer()

    [enqueued] = task_backends["default"].results  # type: ignore[attr-defined]
    assert enqueued.task.name == "deliver"
    assert enqueued.task.call() == 1  # what the worker runs: the mail goes out
    assert len(sink.messages) == 1


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def waiting_runs() -> list[DBTaskResult[..., Any]]:
    return list(DBTaskResult.objects.ready().filter(task_path="deskside.outbox.send.deliver"))


def worker_runs(run: DBTaskResult[..., Any]) -> int:
    """What the worker does with a waiting run: claims it, then calls the task."""
    DBTaskResult.objects.filter(pk=run.pk).update(status=TaskResultStatus.RUNNING)
    return int(run.task.call())


def test_mails_committed_before_the_worker_looks_share_one_run(
    sink, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    for number in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_answer(number)

    [run] = waiting_runs()  # one run waits, not three
    assert worker_runs(run) == 3
    assert len(sink.messages) == 3
    assert waiting_runs() == []


def test_mails_queued_in_one_transaction_look_for_a_waiting_run_once(
    sink, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for number in (1, 2, 3):
            queue_answer(number)
    runs = DBTaskResult._meta.db_table
    looks = [
        q
        for q in captured.captured_queries
        if q["sql"].startswith(f'SELECT 1 AS "a" FROM "{runs}"')
    ]
    assert len(looks) == 1  # each a round trip: one is enough for the three
    [run] = waiting_runs()
    assert worker_runs(run) == 3


def test_a_kick_undone_with_its_savepoint_is_asked_again(
    sink, settings, django_capture_on_commit_callbacks
):
    class Undo(Exception):
        pass

    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with contextlib.suppress(Undo), transaction.atomic():
            queue_answer(1)
            raise Undo  # the mail and its kick are undone
        queue_answer(2)
    [run] = waiting_runs()
    assert worker_runs(run) == 1
    assert len(sink.messages) == 1


def test_a_run_that_sent_a_full_batch_asks_for_another(
    sink, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr("deskside.outbox.send.BATCH", 2)
    for number in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            queue_answer(number)

    [run] = waiting_runs()
    assert worker_runs(run) == 2
    [again] = waiting_runs()  # the third mail's kick had found the first run waiting
    assert worker_runs(again) == 1
    assert len(sink.messages) == 3
    assert waiting_runs() == []  # one mail short of a batch: nothing more to ask


def test_a_lost_enqueue_does_not_fail_the_committed_change(
    sink, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "tests.outbox.test_outbox.BrokenBackend"}}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        mail = queue_answer()

    assert OutboundMail.objects.filter(pk=mail.pk, status=OutboundStatus.QUEUED).exists()
    assert deliver_due() == 1  # the scheduler's sweep sends it anyway


class BrokenBackend:
    """A task backend whose queue is down."""

    def __init__(self, alias: str, params: dict[str, object]) -> None:
        self.alias = alias

    def validate_task(self, task: object) -> None:
        pass

    def enqueue(self, task: object, args: object, kwargs: object) -> None:
        raise ConnectionError("task queue unreachable")


ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Deskside//test//EN\r\nMETHOD:CANCEL\r\n"
    "BEGIN:VEVENT\r\nUID:visit-1@deskside.test\r\nSEQUENCE:2\r\nDTSTAMP:20261123T090000Z\r\n"
    "DTSTART:20261124T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def test_an_invitation_travels_as_a_calendar_alternative_and_an_ics_attachment(sink):
    queue_answer(
        text="Visit cancelled.\n",
        html="<p>Visit cancelled.</p>",
        calendar=ICS.encode(),
        calendar_method="CANCEL",
    )

    deliver_due()

    [message] = sink.messages
    assert message.get_content_type() == "multipart/mixed"
    [alternative] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert alternative.get_param("method") == "CANCEL"
    assert alternative.get_content_charset() == "utf-8"
    assert "UID:visit-1@deskside.test" in alternative.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content().decode().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and plain.get_content().strip() == "Visit cancelled."


def test_an_invitation_without_its_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        queue_answer(calendar=ICS)
