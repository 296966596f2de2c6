"""The IMAP door against a real Dovecot: a mail becomes one ticket at the time the mailbox got it,
leaves the inbox only after that committed, is never processed twice, and one poller works a
mailbox at a time (docs/mail-doors.md, Gmail)."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import OperationalError
from imap_tools import BaseMailBox
from imap_tools.idle import IdleManager

from deskside import leases
from deskside.config import MailServer
from deskside.leases import Lease
from deskside.mail import decide, imap, rawstore
from deskside.mail.models import Door, InboundMail, InboundStatus, Outcome
from deskside.tickets.models import Ticket

# The poller's threads use the database, so each test commits for real (tests/conftest.py
# seeds the protocol data again after the flush that ends such a test).
pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dovecot-test.sh"
PROCESSED = "Deskside/Processed"
BRUSSELS = ZoneInfo("Europe/Brussels")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def dovecot() -> Iterator[dict[str, str]]:
    """A throw-away Dovecot of our own (own directory and port). If it cannot start, every test
    here fails: CI must not pass because the IMAP door went untested."""
    directory = tempfile.mkdtemp(prefix="deskside-dovecot-")
    os.chmod(directory, 0o755)  # Dovecot's own users (dovecot, nobody) must reach into it
    env = dict(os.environ, DOVECOT_TEST_DIR=directory, DOVECOT_TEST_PORT=str(free_port()))
    # Files, not pipes: the Dovecot master inherits them and would keep a pipe open for ever.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        code = subprocess.call(
            ["bash", str(SCRIPT), "start"], env=env, stdout=out, stderr=err, timeout=120
        )
        out.seek(0), err.seek(0)
        output, errors = out.read().decode(), err.read().decode()
    if code != 0:
        stop_dovecot(env)
        pytest.fail(
            f"Dovecot did not start ({SCRIPT} start, exit {code}):\n{output}{errors}", pytrace=False
        )
    settings = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    yield settings
    stop_dovecot(env)


def stop_dovecot(env: dict[str, str]) -> None:
    """Stop our Dovecot by its pid, and make sure it is gone before its directory is: the master
    may take longer than the script waits (it lets its children time out first)."""
    pidfile = Path(env["DOVECOT_TEST_DIR"]) / "run" / "master.pid"
    pid = int(pidfile.read_text()) if pidfile.exists() else None
    subprocess.call(["bash", str(SCRIPT), "stop"], env=env, stdout=subprocess.DEVNULL, timeout=30)
    deadline = time.monotonic() + 10
    while pid and Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid and Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(env["DOVECOT_TEST_DIR"], ignore_errors=True)


def mailbox_of(dovecot: dict[str, str]) -> MailServer:
    """The throw-away Dovecot's inbox, as the poller's settings name it."""
    return MailServer(
        "imap",
        dovecot["IMAP_HOST"],
        int(dovecot["IMAP_PORT"]),
        dovecot["IMAP_USER"],
        dovecot["IMAP_PASSWORD"],
        "INBOX",
    )


def imap_url(server: MailServer) -> str:
    """DESKSIDE_IMAP_URL for `server`, for the processes a test starts."""
    user = server.username.replace("@", "%40")
    return f"imap://{user}:{server.password}@{server.host}:{server.port}/INBOX"


@pytest.fixture
def server(dovecot: dict[str, str]) -> MailServer:
    return mailbox_of(dovecot)


@pytest.fixture
def box(server: MailServer) -> Iterator[BaseMailBox]:
    """A connection to an empty inbox with no processed folder yet."""
    with imap.connected(server) as mailbox:
        mailbox.delete(mailbox.uids())
        mailbox.folder.delete(imap.ensure_folder(mailbox, PROCESSED))
        yield mailbox


def mail(subject: str = "Sev 2 - export fails") -> bytes:
    message = EmailMessage()
    message["From"] = "Claire Peeters <claire@acme.example>"
    message["To"] = "support@example.test"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="acme.example")
    message.set_content("Hello, the export fails since this morning. Thanks")
    return message.as_bytes().replace(b"\n", b"\r\n")


def deliver(dovecot: dict[str, str], raw: bytes) -> None:
    """As an MTA would: Dovecot's local delivery agent."""
    subprocess.run(
        [
            "/usr/lib/dovecot/dovecot-lda",
            "-c",
            dovecot["DOVECOT_CONF"],
            "-d",
            dovecot["IMAP_USER"],
            "-f",
            "claire@acme.example",
        ],
        input=raw,
        check=True,
        timeout=10,
    )


def count(box: BaseMailBox, folder: str) -> int:
    """Messages in `folder`, freshly: SELECT syncs with the server, where STATUS on the
    selected folder may answer from this connection's stale view."""
    box.folder.set(folder)
    messages = len(box.uids())
    box.folder.set("INBOX")  # poll_once works on the selected folder
    return messages


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        time.sleep(0.05)


def test_a_mail_becomes_a_ticket_at_its_internaldate_and_leaves_the_inbox(box):
    arrived = datetime(2026, 3, 2, 10, 0, tzinfo=BRUSSELS)
    raw = mail()
    box.append(raw, "INBOX", dt=arrived)
    processed = imap.ensure_folder(box, PROCESSED)
    assert imap.poll_once(box, processed) == 1
    inbound = InboundMail.objects.get()
    assert inbound.door == Door.IMAP and inbound.outcome == Outcome.CREATED
    assert inbound.received_at == arrived
    assert rawstore.load(inbound.raw_sha256) == raw  # byte for byte what the server holds
    ticket = Ticket.objects.get()
    assert ticket.received_at == arrived and ticket.severity == 2
    assert count(box, "INBOX") == 0 and count(box, processed) == 1


def test_a_reply_polled_late_counts_from_its_internaldate(box):
    """A level given on Friday 16:30 and fetched on Monday 14:03 (the poller was down over the
    weekend): the first response is due Monday 10:30, two business hours after Friday 16:30."""
    processed = imap.ensure_folder(box, PROCESSED)
    box.append(mail("export fails"), "INBOX", dt=datetime(2026, 3, 5, 10, 0, tzinfo=BRUSSELS))
    imap.poll_once(box, processed)
    ticket = Ticket.objects.get()
    friday = datetime(2026, 3, 6, 16, 30, tzinfo=BRUSSELS)
    box.append(mail(f"Re: [{ticket.ref}] Sev 2 - export fails"), "INBOX", dt=friday)

    with time_machine.travel(datetime(2026, 3, 9, 14, 3, tzinfo=BRUSSELS), tick=False):
        assert imap.poll_once(box, processed) == 1

    ticket.refresh_from_db()
    assert (ticket.severity, ticket.status) == (2, "open")
    assert ticket.first_response_due == datetime(2026, 3, 9, 10, 30, tzinfo=BRUSSELS)
    assert ticket.messages.filter(direction="inbound").latest("id").created_at == friday


def test_a_mail_is_left_unseen_for_people_reading_the_mailbox(box):
    box.append(mail(), "INBOX")
    processed = imap.ensure_folder(box, PROCESSED)
    imap.poll_once(box, processed)
    box.folder.set(processed)
    [flags] = [m.flags for m in box.fetch(mark_seen=False, headers_only=True)]
    assert "\\Seen" not in flags


def test_a_mail_whose_move_failed_is_moved_later_without_being_processed_twice(box, monkeypatch):
    box.append(mail(), "INBOX")
    processed = imap.ensure_folder(box, PROCESSED)

    def connection_lost(*args: object) -> None:
        raise ConnectionResetError("connection lost during MOVE")

    with monkeypatch.context() as patch:
        patch.setattr(box, "move", connection_lost)
        with pytest.raises(ConnectionResetError):
            imap.poll_once(box, processed)
    assert InboundMail.objects.get().status == InboundStatus.PROCESSED
    assert count(box, "INBOX") == 1  # committed, but still on the server
    assert imap.poll_once(box, processed) == 1
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1
    assert count(box, "INBOX") == 0 and count(box, processed) == 1


def test_the_same_bytes_back_in_the_inbox_make_no_second_ticket(box):
    raw = mail()
    box.append(raw, "INBOX")
    processed = imap.ensure_folder(box, PROCESSED)
    imap.poll_once(box, processed)
    box.append(raw, "INBOX")  # as if the earlier move had not happened
    imap.poll_once(box, processed)
    assert Ticket.objects.count() == 1 and InboundMail.objects.count() == 1
    assert count(box, "INBOX") == 0 and count(box, processed) == 2


def test_a_mail_that_fails_stays_in_the_inbox_and_the_next_goes_on(box, monkeypatch):
    box.append(mail("Sev 1 - first"), "INBOX")
    box.append(mail("Sev 3 - second"), "INBOX")
    processed = imap.ensure_folder(box, PROCESSED)
    real_handle = decide.handle

    def locked_for_the_first(inbound: InboundMail, raw: bytes, **how: bool) -> object:
        if b"Sev 1 - first" in raw:
            raise OperationalError("database is locked")
        return real_handle(inbound, raw, **how)

    with monkeypatch.context() as patch:
        # Both are stored and processed as one batch, which fails; then one mail at a time.
        patch.setattr(decide, "handle", locked_for_the_first)
        assert imap.poll_once(box, processed) == 2
    assert list(Ticket.objects.values_list("severity", flat=True)) == [3]
    assert count(box, "INBOX") == 1  # stored, kept on the server, taken again next pass
    imap.poll_once(box, processed)
    assert set(Ticket.objects.values_list("severity", flat=True)) == {1, 3}
    assert count(box, "INBOX") == 0


class Running:
    """A poller in a thread. While it runs, the test watches the mailbox, not the database: the
    in-memory test database locks whole tables between threads instead of waiting."""

    def __init__(self, poller: imap.Poller) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=poller.run, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 5.0) -> float:
        """Stop as SIGTERM does; returns how long it took."""
        started = time.monotonic()
        self.stop_event.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), f"the poller did not stop within {timeout} s"
        return time.monotonic() - started


@pytest.fixture
def run_poller() -> Iterator[Callable[[imap.Poller], Running]]:
    running: list[Running] = []

    def start(poller: imap.Poller) -> Running:
        running.append(Running(poller))
        return running[-1]

    yield start
    for each in running:
        each.stop()


def test_a_second_poller_stands_by_while_another_holds_the_lease(box, server, run_poller):
    # Another poller took the lease and then died: it keeps it until it expires.
    assert leases.acquire(imap.lease_name(server), "crashed-poller", timedelta(seconds=1))
    box.append(mail(), "INBOX")
    standby = run_poller(imap.Poller(server, holder="standby", standby_interval=0.1))
    time.sleep(0.5)  # several standby rounds inside the other's lease
    assert count(box, "INBOX") == 1
    wait_for(lambda: count(box, "INBOX") == 0)  # the lease expired: the standby took over
    standby.stop()
    assert Ticket.objects.count() == 1
    assert not Lease.objects.filter(name=imap.lease_name(server)).exists()  # released on stop


def test_idle_wakes_the_poller_for_a_new_mail_and_stop_is_prompt(
    box, server, dovecot, run_poller, monkeypatch
):
    idling = threading.Event()
    real_start = IdleManager.start

    def start(manager: IdleManager) -> object:
        result = real_start(manager)
        idling.set()
        return result

    monkeypatch.setattr(IdleManager, "start", start)
    # Long timeouts: only IDLE can bring the mail in within the wait below.
    poller = run_poller(imap.Poller(server, idle_timeout=60, poll_interval=60))
    assert idling.wait(5), "the poller never entered IDLE"
    deliver(dovecot, mail())
    wait_for(lambda: count(box, "INBOX") == 0)
    assert poller.stop() < 2  # answered within its one-second IDLE slices
    assert Ticket.objects.count() == 1
    assert not Lease.objects.exists()


def test_an_unreachable_server_is_retried_with_growing_delays(monkeypatch, run_poller, caplog):
    monkeypatch.setattr(imap, "BACKOFF_FIRST", 0.05)
    closed = MailServer("imap", "127.0.0.1", free_port(), "someone", "pw", "INBOX")
    caplog.set_level(logging.WARNING, logger="deskside.mail.imap")
    poller = run_poller(imap.Poller(closed))
    wait_for(lambda: len(caplog.records) >= 3)
    poller.stop()
    delays = [r.getMessage().rsplit("retrying in ", 1)[1] for r in caplog.records[:3]]
    assert delays == ["0.05 s", "0.1 s", "0.2 s"]
    assert "ConnectionRefusedError" in caplog.records[0].getMessage()
