"""Benchmark: how soon a client's mail is answered, from outside, and a burst survived.

Run as `.venv/bin/python bench/latency.py [--mails N] [--burst N]`; prints one JSON object
(progress on standard error). A whole desk (`deskside run`) runs on SQLite in a temporary data
folder (or on PostgreSQL when BENCH_DATABASE_URL names one: a database of its own is made there),
with a throw-away Dovecot (scripts/dovecot-test.sh) as its mailbox and an SMTP sink in this
process as its mail server.

- `imap`: a new mail appended to the Dovecot inbox → the acknowledgement accepted by the sink
  (the sink matches it by In-Reply-To), one mail at a time, `--mails` times; p50 and p95.
- `smtp`: the same through the desk's SMTP door (from before connecting to the 250 of the ack).
- `burst`: `--burst` mails (default 5,000; 0 skips it) appear in the inbox at once (appended to
  another folder, then moved with one IMAP MOVE); the time until every one has its
  acknowledgement, and the check that each became exactly one ticket with exactly one answer.
- `imap_idle_floor`: a baseline of the same run: a bare IDLE client on another folder, from the
  append to Dovecot's EXISTS (Dovecot waits about 0.5 s before it tells IDLE clients).
- `work_ms`: the other baseline of the same run: one mail's intake alone, in this process
  (`ingest()` on SQLite, median), so that what the doors add is the difference.

Targets (issue #18): p95 ≤ 500 ms through IMAP and ≤ 200 ms through SMTP.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import formatdate
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUPPORT = "support@example.test"
TARGET_IMAP_P95_MS, TARGET_SMTP_P95_MS = 500, 200
BURST_SENDERS = 1_000  # each at a domain of its own, ≤ 5 mails: under every flood cap


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Records when each acknowledgement arrived, by the Message-ID it answers."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.arrived: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        headers = BytesHeaderParser(policy=compat32).parsebytes(envelope.original_content or b"")
        answers = str(headers.get("In-Reply-To", "")).strip().strip("<>")
        with self.lock:
            self.arrived.setdefault(answers, []).append(time.monotonic())
        return "250 OK"

    def wait_for(self, message_id: str, timeout: float = 60) -> float:
        deadline = time.monotonic() + timeout
        while message_id not in self.arrived:
            if time.monotonic() > deadline:
                raise SystemExit(f"no acknowledgement for {message_id} within {timeout:.0f} s")
            time.sleep(0.002)
        return self.arrived[message_id][0]


def new_mail(number: int, sender: str) -> tuple[str, bytes]:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = f"Sev 3 - Export {number} stays empty"
    message["Date"] = formatdate(localtime=False)
    message_id = f"{uuid.uuid4().hex}@client.example"
    message["Message-ID"] = f"<{message_id}>"
    message.set_content("Hello,\n\nThe export stays empty since this morning.\n\nKind regards\n")
    return message_id, message.as_bytes().replace(b"\n", b"\r\n")


def sender(number: int) -> str:
    return f"client{number % BURST_SENDERS:04d}@org{number % BURST_SENDERS:04d}.example"


def start_dovecot(folder: Path) -> dict[str, str]:
    env = dict(os.environ, DOVECOT_TEST_DIR=str(folder), DOVECOT_TEST_PORT=str(_free_port()))
    # A file, not a pipe: the Dovecot master inherits it and would keep a pipe open for ever.
    with tempfile.TemporaryFile() as out:
        script = str(ROOT / "scripts" / "dovecot-test.sh")
        subprocess.run(["bash", script, "start"], env=env, stdout=out, check=True, timeout=120)
        out.seek(0)
        lines = out.read().decode().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line) | {"dir": str(folder)}


def stop_dovecot(dovecot: dict[str, str]) -> None:
    env = dict(os.environ, DOVECOT_TEST_DIR=dovecot["dir"])
    script = str(ROOT / "scripts" / "dovecot-test.sh")
    subprocess.run(["bash", script, "stop"], env=env, capture_output=True, check=False)


def mailbox(dovecot: dict[str, str]) -> Any:
    from imap_tools import MailBoxUnencrypted

    box = MailBoxUnencrypted(dovecot["IMAP_HOST"], int(dovecot["IMAP_PORT"]))
    return box.login(dovecot["IMAP_USER"], dovecot["IMAP_PASSWORD"])


def start_desk(folder: Path, dovecot: dict[str, str], sink: Sink) -> tuple[Any, int, int]:
    http, smtpd = _free_port(), _free_port()
    user = dovecot["IMAP_USER"].replace("@", "%40")
    env = dict(os.environ) | {
        "DESKSIDE_DATA_DIR": str(folder / "data"),
        "DESKSIDE_HTTP": f"127.0.0.1:{http}",
        "DESKSIDE_SMTPD": f"127.0.0.1:{smtpd}",
        "DESKSIDE_ADMIN_PASSWORD": "correct horse battery",
        "DESKSIDE_IMAP_URL": (
            f"imap://{user}:{dovecot['IMAP_PASSWORD']}"
            f"@{dovecot['IMAP_HOST']}:{dovecot['IMAP_PORT']}/INBOX"
        ),
        "DESKSIDE_SUPPORT_ADDRESS": SUPPORT,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
    }
    env.pop("DATABASE_URL", None)
    if database := os.environ.get("BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = database
    log = (folder / "run.log").open("w")
    desk = subprocess.Popen(
        [sys.executable, "-m", "deskside.cli", "run"], env=env, stdout=log, stderr=log
    )
    deadline = time.monotonic() + 120
    while "imap: polling" not in (folder / "run.log").read_text():
        if desk.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the desk did not start:\n" + (folder / "run.log").read_text())
        time.sleep(0.2)
    with urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=10) as answer:
        assert answer.status == 200
    return desk, http, smtpd


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[max(0, round(0.95 * len(ms)) - 1)], 1),
        "max_ms": round(ms[-1], 1),
    }


def through_imap(dovecot: dict[str, str], sink: Sink, mails: int) -> list[float]:
    took = []
    with mailbox(dovecot) as box:
        for number in range(mails):
            message_id, raw = new_mail(number, f"imap{number}@imap{number}.example")
            started = time.monotonic()
            box.append(raw, "INBOX")
            took.append(sink.wait_for(message_id) - started)
            time.sleep(0.2)  # one mail at a time: latency, not throughput
    return took


def through_smtp(port: int, sink: Sink, mails: int) -> list[float]:
    took = []
    for number in range(mails):
        message_id, raw = new_mail(number, f"smtp{number}@smtp{number}.example")
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.sendmail(f"smtp{number}@smtp{number}.example", [SUPPORT], raw)
        took.append(sink.wait_for(message_id) - started)
        time.sleep(0.2)
    return took


def idle_floor(dovecot: dict[str, str], mails: int) -> list[float]:
    """The baseline of the same run: a bare IDLE client on a folder of its own, from the append
    to the server's EXISTS. Dovecot tells IDLE clients of new mail after a delay of its own
    (about half a second), which no client can beat."""
    took = []
    with mailbox(dovecot) as watcher, mailbox(dovecot) as writer:
        if not watcher.folder.exists("Floor"):
            watcher.folder.create("Floor")
        watcher.folder.set("Floor")
        for number in range(mails):
            _, raw = new_mail(number, "floor@floor.example")
            watcher.idle.start()
            started = time.monotonic()
            writer.append(raw, "Floor")
            while not watcher.idle.poll(timeout=0.01):
                if time.monotonic() - started > 30:
                    raise SystemExit("Dovecot never said EXISTS")
            took.append(time.monotonic() - started)
            watcher.idle.stop()
            time.sleep(0.2)
    return took


def burst(dovecot: dict[str, str], sink: Sink, count: int) -> dict[str, Any]:
    mails = [new_mail(number, sender(number)) for number in range(count)]
    with mailbox(dovecot) as box:
        if not box.folder.exists("Burst"):
            box.folder.create("Burst")
        _progress(f"appending {count} mails to a folder beside the inbox …")
        for _, raw in mails:
            box.append(raw, "Burst")
        box.folder.set("Burst")
        started = time.monotonic()
        box.move(box.uids(), "INBOX")  # every mail appears in the inbox at once
    ids = [message_id for message_id, _ in mails]
    deadline = started + 1800
    while sum(1 for m in ids if m in sink.arrived) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    drained = time.monotonic() - started
    answered = [len(sink.arrived.get(m, [])) for m in ids]
    return {
        "mails": count,
        "drain_s": round(drained, 1),
        "mails_per_s": round(count / drained, 1),
        "unanswered": answered.count(0),
        "answered_twice": sum(1 for a in answered if a > 1),
    }


def work_alone(mails: int) -> float:
    """One mail's intake in this process on a fresh SQLite database: the work, no waiting."""
    folder = Path(tempfile.mkdtemp(prefix="deskside-bench-work-"))
    os.environ["DESKSIDE_DATA_DIR"] = str(folder)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
    from deskside import config

    config.prepare()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import logging

    from deskside.mail.intake import ingest
    from deskside.mail.models import Door

    logging.getLogger("deskside.mail").setLevel(logging.WARNING)  # one line per mail otherwise

    took = []
    for number in range(mails):
        _, raw = new_mail(number, f"work{number}@work{number}.example")
        started = time.perf_counter()
        ingest(raw, door=Door.PIPE)
        took.append(time.perf_counter() - started)
    return round(statistics.median(took) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--burst", type=int, default=5_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="deskside-bench-latency-"))
    folder.chmod(0o755)  # Dovecot's users reach into its folder
    (folder / "dovecot").mkdir(mode=0o755)
    dovecot = start_dovecot(folder / "dovecot")
    sink = Sink()
    sink.controller.start()
    desk = None
    try:
        desk, _, smtpd = start_desk(folder, dovecot, sink)
        _progress("desk running; measuring through IMAP …")
        imap = through_imap(dovecot, sink, args.mails)
        _progress("… a bare IDLE client (Dovecot's own delay) …")
        floor = idle_floor(dovecot, args.mails)
        _progress("… and through the SMTP door")
        smtp = through_smtp(smtpd, sink, args.mails)
        burst_result = burst(dovecot, sink, args.burst) if args.burst else None
    finally:
        if desk is not None:
            desk.terminate()
            desk.wait(timeout=60)
        sink.controller.stop()
        stop_dovecot(dovecot)
    result = {
        "database": "postgresql" if os.environ.get("BENCH_DATABASE_URL") else "sqlite",
        "load_average": os.getloadavg()[0],
        "imap": percentiles(imap) | {"target_p95_ms": TARGET_IMAP_P95_MS, "mails": len(imap)},
        "imap_idle_floor": percentiles(floor),
        "smtp": percentiles(smtp) | {"target_p95_ms": TARGET_SMTP_P95_MS, "mails": len(smtp)},
        "burst": burst_result,
        "work_ms": work_alone(args.mails),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
