"""The parts of the crash test (test_crash.py): the mails, the SMTP sink, the database the
subprocesses share, the killer, and the read-back that runs inside Deskside.

`python -m tests.mail.crash_support finish` is that read-back: it runs in a subprocess with the
crash test's environment, finishes what the scheduler would have finished, and prints JSON.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

REPO = Path(__file__).resolve().parents[2]
SUPPORT = "support@example.test"
PROCESSED = "Deskside/Processed"

# -- the mails ---------------------------------------------------------------------------------

# 900 new mails, at most 5 each, each sender at a domain of its own: under the caps on
# automatic answers and new tickets per address and per domain (deskside/mail/floods.py).
SENDERS = 200
TOPICS = (
    "export fails",
    "login is slow",
    "invoice totals wrong",
    "report stays empty",
    "printer queue stuck",
    "sync stopped overnight",
    "search finds nothing",
    "backup job red",
)
ASKS = (
    "Question about our contract",
    "Printer offline in the meeting room",
    "Can you call me back",
    "Password reset for a colleague",
)


@dataclass(frozen=True)
class Mail:
    number: int
    message_id: str
    sender: str
    subject: str
    kind: str  # "new" (a severity in the subject), "no_severity" or "reply"
    replies_to: str = ""  # the Message-ID of the original, for a reply
    raw: bytes = field(default=b"", repr=False)


def sender(index: int) -> str:
    return f"client{index:03d}@org{index:03d}.example"


def _raw(mail: Mail) -> bytes:
    message = EmailMessage()
    message["From"] = f"Client {mail.sender.split('@')[0][6:]} <{mail.sender}>"
    message["To"] = SUPPORT
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{mail.message_id}>"
    if mail.replies_to:
        message["In-Reply-To"] = f"<{mail.replies_to}>"
        message["References"] = f"<{mail.replies_to}>"
    message.set_content(
        f"Hello,\n\nThis is mail {mail.number} of the crash test. Since this morning the "
        "problem stays and our team cannot work around it.\n\nKind regards\n"
    )
    return message.as_bytes().replace(b"\n", b"\r\n")


def plan(seed: int, new: int = 800, no_severity: int = 100, replies: int = 100) -> list[Mail]:
    """The mails in delivery order: first every new mail (shuffled), then the replies, each
    from the sender of the original it answers by In-Reply-To."""
    rng = random.Random(seed)
    kinds = ["new"] * new + ["no_severity"] * no_severity
    rng.shuffle(kinds)
    first: list[Mail] = []
    for number, kind in enumerate(kinds):
        address = sender(number % SENDERS)
        subject = (
            f"Sev {rng.randint(1, 4)} - {rng.choice(TOPICS)} (mail {number})"
            if kind == "new"
            else f"{rng.choice(ASKS)} (mail {number})"  # the same subject twice is one ticket
        )
        message_id = f"crash-{seed}-{number}@{address.split('@')[1]}"
        first.append(Mail(number, message_id, address, subject, kind))
    originals = rng.sample([m for m in first if m.kind == "new"], replies)
    second = []
    for offset, original in enumerate(originals):
        number = len(first) + offset
        domain = original.sender.split("@")[1]
        second.append(
            Mail(
                number,
                f"crash-{seed}-{number}@{domain}",
                original.sender,
                f"Re: {original.subject}",
                "reply",
                original.message_id,
            )
        )
    return [Mail(**{**m.__dict__, "raw": _raw(m)}) for m in first + second]


# -- the SMTP sink -----------------------------------------------------------------------------


@dataclass
class Received:
    message_id: str
    recipients: tuple[str, ...]


class Sink:
    """aiosmtpd on a free port in the test process: records every mail it answered 250 to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        headers = BytesHeaderParser(policy=compat32).parsebytes(bytes(content))
        message_id = str(headers.get("Message-ID", "")).strip().strip("<>")
        with self._lock:
            self.received.append(Received(message_id, tuple(envelope.rcpt_tos)))
        return "250 OK"

    def start(self) -> None:
        # aiosmtpd logs every SMTP line at INFO: thousands of lines in a failure's report.
        self._log_level = logging.getLogger("mail.log").level
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
        logging.getLogger("mail.log").setLevel(self._log_level)


# -- the database the subprocesses share -------------------------------------------------------


class Database:
    """A SQLite file in the data directory, or (in the PostgreSQL run) a database of its own next
    to the one pytest-django uses, created here and dropped at the end."""

    def __init__(self, data_dir: Path) -> None:
        base = os.environ.get("DATABASE_URL", "")
        self.postgres = os.environ.get("DESKSIDE_REQUIRE_POSTGRES") == "1" and bool(base)
        if self.postgres:
            parts = urlsplit(base)
            self.name = f"{parts.path.lstrip('/') or 'deskside'}_crash"
            self.url = urlunsplit(parts._replace(path=f"/{quote(self.name)}"))
            self._admin = base
            self._run_pg(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._run_pg(f'CREATE DATABASE "{self.name}"')
        else:
            self.name = str(data_dir / "deskside.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def _run_pg(self, sql: str, url: str | None = None) -> None:
        import psycopg

        with psycopg.connect(url or self._admin, autocommit=True) as connection:
            connection.execute(sql)

    def expire_leases(self) -> None:
        """What 60 s of waiting would do for a poller killed while it held the mailbox's lease:
        its successor takes over at once instead of standing by until the lease runs out."""
        if self.postgres:
            self._run_pg("UPDATE runtime_lease SET expires_at = now() - interval '1 day'", self.url)
            return
        with sqlite3.connect(self.name, timeout=20) as connection:
            connection.execute("UPDATE runtime_lease SET expires_at = '2000-01-01 00:00:00'")
        connection.close()

    def processed_mails(self) -> int:
        """How many mails are processed so far: the poller's progress, read beside it."""
        sql = "SELECT count(*) FROM mail_inboundmail WHERE status = 'processed'"
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as pg:
                row = pg.execute(sql).fetchone()
        else:
            lite = sqlite3.connect(self.name, timeout=20)
            try:
                row = lite.execute(sql).fetchone()
            finally:
                lite.close()
        return int(row[0]) if row else 0

    def drop(self) -> None:
        if self.postgres:
            self._run_pg(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# -- processes and the killer ------------------------------------------------------------------


class Supervised:
    """One Deskside process, started again after each kill; each life logs to a file of its own.
    It is `started` once its log says so (the poller holds the lease, the worker polls). Each
    life draws a quota from `quota` (seeded): it is `due` for a kill once `progress` (processed
    mails, mails at the sink) has grown by that much in this life. Kills follow the work, not the
    clock, so a fast machine gets as many as a slow one."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        logs: Path,
        *,
        marker: str,
        progress: Callable[[], int],
        quota: tuple[int, int],
        rng: random.Random,
    ) -> None:
        self.name, self.args, self.env, self.logs = name, args, env, logs
        self.marker, self.progress, self.quota, self.rng = marker, progress, quota, rng
        self.proc: subprocess.Popen[bytes] | None = None
        self.progress_at_start = 0
        self.quota_of_life = quota[1]
        self.events: list[tuple[float, str]] = []  # (time.monotonic(), what), for a post-mortem
        self.lives = 0
        self.kills = 0
        self.unexpected_exits: list[str] = []

    @property
    def log(self) -> Path:
        return self.logs / f"{self.name}-{self.lives}.log"

    def start(self) -> None:
        self.lives += 1
        self.progress_at_start = self.progress()
        self.quota_of_life = self.rng.randint(*self.quota)
        self.events.append(
            (
                time.monotonic(),
                f"start {self.lives} at {self.progress_at_start}, quota {self.quota_of_life}",
            )
        )
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "deskside.cli", *self.args],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def started(self) -> bool:
        if self.proc is None or self.proc.poll() is not None:
            return False
        return self.marker in self.log.read_text(errors="replace")

    def due(self) -> bool:
        return self.started() and self.progress() >= self.progress_at_start + self.quota_of_life

    def check_alive(self) -> None:
        """A process that exited without being killed is a finding: note it, start it again."""
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append(f"{self.log.name}: exit {self.proc.returncode}")
            self.start()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL, to this pid only
        self.proc.wait()
        self.kills += 1
        self.events.append((time.monotonic(), f"killed at {self.progress()}"))

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, as at the end of a shift; SIGKILL only if it does not listen."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Killer(threading.Thread):
    """Every 50 ms, look whether the poller or the worker has done its quota of work in this
    life; if so SIGKILL it (a third of the time the other one too, if it is running), wait
    0.1–0.5 s (seeded) and start them again. A killed poller's lease is expired before its
    successor starts (see Database.expire_leases)."""

    def __init__(
        self, seed: int, poller: Supervised, worker: Supervised, expire_leases: Callable[[], None]
    ) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(seed)
        self.poller, self.worker, self.expire_leases = poller, worker, expire_leases
        self.halt = threading.Event()
        self.both = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.halt.wait(0.05):
                self.strike()
        except BaseException as error:  # the test reads it and fails
            self.error = error

    def strike(self) -> None:
        for each in (self.poller, self.worker):
            each.check_alive()
        victims = [each for each in (self.poller, self.worker) if each.due()]
        if not victims:
            return
        if len(victims) == 1 and self.rng.random() < 1 / 3:
            other = self.worker if victims[0] is self.poller else self.poller
            if other.started():
                victims.append(other)
        for each in victims:
            each.kill()
        self.both += len(victims) == 2
        if self.poller in victims:
            self.expire_leases()
        time.sleep(self.rng.uniform(0.1, 0.5))
        for each in victims:
            each.start()


def run_commands(*commands: list[str], env: dict[str, str], timeout: float = 60) -> list[str]:
    """Run `python -m <command>` for each, side by side; their outputs, once all succeeded.
    When one fails, those still running are killed rather than left to run on."""
    running = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", *args],
                env=env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for args in commands
    ]
    outputs = []
    try:
        for args, proc in running:
            try:
                out, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            assert proc.returncode == 0, f"{' '.join(args)} failed:\n{out}{err}"
            outputs.append(out)
    finally:
        for _, proc in running:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs


# -- the read-back, run inside Deskside --------------------------------------------------------


def finish() -> dict[str, Any]:
    """What the scheduler would still do (finish stored mail; send what a killed worker left
    claimed, once its back-off has passed: the sweep is run with the clock a day ahead), then
    everything the test checks, as plain data."""
    from datetime import timedelta

    from django.utils import timezone

    from deskside.mail.intake import process_pending
    from deskside.mail.models import InboundMail, InboundStatus
    from deskside.outbox.models import OutboundMail, OutboundStatus
    from deskside.outbox.send import deliver_due
    from deskside.tickets.models import Message, Ticket

    stored_before = InboundMail.objects.filter(status=InboundStatus.STORED).count()
    finished = process_pending()
    left_claimed = OutboundMail.objects.filter(status=OutboundStatus.QUEUED).count()
    swept = 0
    while sent := deliver_due(now=timezone.now() + timedelta(days=1)):
        swept += sent
    return {
        "stored_before_sweep": stored_before,
        "finished_by_sweep": finished,
        "queued_before_sweep": left_claimed,
        "sent_by_sweep": swept,
        "inbound": [
            {
                "message_id": row.message_id,
                "status": row.status,
                "outcome": row.outcome,
                "ticket": row.ticket_id,
                "direction": row.ticket_message.direction if row.ticket_message else None,
            }
            for row in InboundMail.objects.select_related("ticket_message")
        ],
        "tickets": [
            {
                "id": t.pk,
                "ref": t.ref,
                "status": t.status,
                "close_reason": t.close_reason,
                "contact": t.contact.email,
            }
            for t in Ticket.objects.select_related("contact")
        ],
        "answers_on_tickets": list(
            Message.objects.filter(kind__in=["acknowledgement", "protocol"]).values_list(
                "ticket_id", "kind"
            )
        ),
        "outbound": [
            {
                "message_id": m.message_id,
                "purpose": m.purpose,
                "ticket_ref": m.ticket_ref,
                "in_reply_to": m.in_reply_to,
                "to": m.to,
                "status": m.status,
                "attempts": m.attempts,
            }
            for m in OutboundMail.objects.all()
        ],
    }


if __name__ == "__main__" and sys.argv[1:] == ["finish"]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
    import django

    django.setup()
    print(json.dumps(finish()))
