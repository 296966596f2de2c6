"""Two nodes, one database (docs/deploy.md, Two nodes): two `deskside run` on different ports
against one PostgreSQL, one real Dovecot mailbox and one SMTP sink. Both serve the web, both task
workers take tasks, exactly one scheduler and one IMAP poller hold their leases; every process of
the node that holds them is killed with SIGKILL (a machine losing power) while mail arrives, and
the other takes over the poller within 35 s and the scheduler within 16 s, with every mail one
ticket and one acknowledgement. Measured here: 32.5 s and 14.7 s.

It runs in the PostgreSQL run of CI: leases across machines are what PostgreSQL is for here
(on SQLite, two nodes cannot share a database file over the network).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deskside.config import MailServer
from deskside.mail import imap
from tests.mail import test_imap_door as door
from tests.mail.crash_support import SUPPORT, Sink, plan
from tests.runtime.desks import Desk
from tests.runtime.processes import descendants

dovecot = door.dovecot  # the session's throw-away Dovecot (tests/mail/test_imap_door.py)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="two nodes share a PostgreSQL (runs in CI's PostgreSQL run)",
    ),
]

POLLER_TAKEOVER = 35.0  # imap.LEASE_TTL + imap.STANDBY_INTERVAL
SCHEDULER_TAKEOVER = 16.0  # scheduler.LEASE_TTL + its one-second poll
SLACK = 15.0  # a loaded two-core machine: process start-up and the database are slower


class Shared:
    """The one database both nodes use, read from the test as an operator would with psql."""

    def __init__(self, url: str) -> None:
        self.url = url

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql).fetchall()

    def count(self, sql: str) -> int:
        return int(self.rows(sql)[0][0])

    def holders(self) -> dict[str, int]:
        """Lease name → the pid in its holder (host:pid:suffix), for leases still running."""
        rows = self.rows("SELECT name, holder FROM runtime_lease WHERE expires_at > now()")
        return {name: int(holder.split(":")[1]) for name, holder in rows}

    def worker_nodes(self) -> set[str]:
        rows = self.rows("SELECT worker_ids FROM django_tasks_database_dbtaskresult")
        return {worker for (ids,) in rows for worker in ids}


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds it took; fails with `what` when it does not happen within `timeout`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.25)
    return time.monotonic() - started


def node_of(desks: dict[str, Desk], pid: int) -> str | None:
    """The node whose process `pid` is; None once that node is gone."""
    return next((name for name, desk in desks.items() if pid in descendants(desk.proc.pid)), None)


def test_two_nodes_share_the_work_and_the_survivor_takes_over(
    start_desk, new_database, dovecot: dict[str, str], tmp_path: Path
) -> None:
    database = Shared(new_database())
    sink = Sink(door.free_port())
    sink.start()
    server = door.mailbox_of(dovecot)
    env = {
        "DATABASE_URL": database.url,
        "DESKSIDE_IMAP_URL": door.imap_url(server),
        "DESKSIDE_SUPPORT_ADDRESS": SUPPORT,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
    }
    mails = plan(seed=18, new=60, no_severity=0, replies=0)
    shared_data = tmp_path / "shared-data"  # the nodes' common volume: raw mail, attachments
    try:
        with imap.connected(server) as box:
            box.delete(box.uids())
            box.folder.delete(imap.ensure_folder(box, imap.DEFAULT_PROCESSED_FOLDER))
        # Node a first, so that it holds both leases and its death tests both takeovers.
        desks = {"a": start_desk(env=env, data=shared_data)}
        desks["a"].wait_until_serving()
        wait_until(
            lambda: {"scheduler", imap.lease_name(server)} <= set(database.holders()),
            60,
            "node a holds the scheduler's and the poller's leases",
        )
        desks["b"] = start_desk(env=env, data=shared_data)
        desks["b"].wait_until_serving()
        held = database.holders()
        assert {node_of(desks, pid) for pid in held.values()} == {"a"}

        # Both serve the web, both workers take tasks (mail to send, the scheduler's jobs).
        deliver(server, mails[:30])
        wait_until(lambda: len(sink.received) == 30, 120, "30 acknowledgements")
        for each in desks.values():
            assert each.get("/health")[0] == 200
        supervisors = [f":{each.proc.pid}" for each in desks.values()]  # in each worker's id
        wait_until(
            lambda: all(
                any(worker.endswith(pid) for worker in database.worker_nodes())
                for pid in supervisors
            ),
            90,
            "both nodes' workers ran tasks",
        )
        assert database.holders() == held  # node b stood by all along

        # Node a dies with the leases, as a machine that loses power: every process at once,
        # none can give its lease back. Mail keeps coming; node b takes over.
        for pid in [desks["a"].proc.pid, *descendants(desks["a"].proc.pid)]:
            os.kill(pid, signal.SIGKILL)
        desks["a"].proc.wait()
        killed = time.monotonic()
        deliver(server, mails[30:])
        took = takeover(desks, database, ["scheduler", imap.lease_name(server)], killed)
        assert took["scheduler"] <= SCHEDULER_TAKEOVER + SLACK, took
        assert took[imap.lease_name(server)] <= POLLER_TAKEOVER + SLACK, took
        wait_until(lambda: len(sink.received) >= 60, 120, "60 acknowledgements")
        time.sleep(2)  # anything answered twice would arrive now
        print("takeover after the kill, in seconds:", took)

        # Nothing lost, nothing answered twice.
        assert database.count("SELECT count(*) FROM tickets_ticket") == 60
        processed = "SELECT count(*) FROM mail_inboundmail WHERE status = 'processed'"
        assert database.count(processed) == 60
        answered = Counter(rcpt for mail in sink.received for rcpt in mail.recipients)
        assert answered == Counter(mail.sender for mail in mails)
        with imap.connected(server) as box:
            assert door.count(box, "INBOX") == 0
        assert desks["b"].get("/health")[0] == 200
    finally:
        sink.stop()


def deliver(server: MailServer, mails: list[Any]) -> None:
    with imap.connected(server) as box:
        for mail in mails:
            box.append(mail.raw, "INBOX")


def takeover(
    desks: dict[str, Desk], database: Shared, names: list[str], killed: float
) -> dict[str, float]:
    """Seconds from the kill until node b held each lease."""
    took: dict[str, float] = {}
    while len(took) < len(names):
        elapsed = time.monotonic() - killed
        assert elapsed < POLLER_TAKEOVER + SLACK, f"node b took only {took} after {elapsed:.0f} s"
        for name in names:
            if name not in took and node_of_holder(desks, database, name) == "b":
                took[name] = round(elapsed, 1)
        time.sleep(0.25)
    return took


def node_of_holder(desks: dict[str, Desk], database: Shared, lease: str) -> str | None:
    pid = database.holders().get(lease)
    return None if pid is None else node_of(desks, pid)
