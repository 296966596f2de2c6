"""Nothing lost when processes die (docs/mail-doors.md): while 1,000 mails are fetched from a real
Dovecot, the IMAP poller and the outbox worker are killed with SIGKILL at random moments and
started again. At the end every mail is exactly one ticket or one message, none is left
unprocessed, and no acknowledgement was made twice. (Sending is at-least-once: a copy sent again
after a kill between the server's 250 and marking the row sent carries the same Message-ID.)

The chaos, and why it looks like this:
- Real processes (`deskside imap_poll`, `deskside db_worker`) on a real database file (or, in
  the PostgreSQL run, a database of their own), never pytest-django's test database.
- 900 new mails wait in the inbox when the processes start (800 with a severity, 100 without);
  once they are all processed, 100 replies arrive that thread by In-Reply-To to originals of the
  first wave. 200 senders, at most 5 new mails each, so the automatic-answer cap (5 an hour)
  never changes what is expected.
- A killer thread kills by work done, not by the clock: each life of the poller draws a quota
  of 40–160 processed mails, each life of the worker 10–60 sent mails (seeded); a process that
  reached its quota is killed with SIGKILL (a third of the time with the other one), and both
  are started again 0.1–0.5 s later. The kill lands wherever the process is at that moment
  (the killer looks every 50 ms): the poller takes mail in batches of 50 (store, commit,
  process, commit, move), so over a thousand mails kills land in every state of a batch. A
  timed killer let a fast machine drain the inbox with only two kills; by quota, 900 mails
  give the poller at least five. A Django start takes 2–4 s here; killing before a process
  reached its work would test nothing. Both start with --skip-checks (a second less per start;
  the system checks are not what is tested here).
- A poller killed while holding the mailbox's lease keeps it for 60 s; the killer expires the
  lease at once (as the clock would), so that the successor polls instead of standing by.
- When the inbox is empty the killing stops; both processes stop with SIGTERM, then one clean
  poller pass (`imap_poll --once`), one clean worker run (`db_worker --batch`) and what the
  scheduler would do: finish stored mail, and send what a killed worker left claimed once its
  back-off has passed (the sweep runs with the clock a day ahead instead of waiting).
- The SMTP sink records everything it answered 250 to; a mail received twice must be one whose
  sending was interrupted by a kill (attempts > 1), never a second acknowledgement.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from deskside.mail import imap
from tests.mail import test_imap_door as door
from tests.mail.crash_support import (
    PROCESSED,
    SUPPORT,
    Database,
    Killer,
    Sink,
    Supervised,
    plan,
    run_commands,
)

dovecot = door.dovecot  # the session's throw-away Dovecot (tests/mail/test_imap_door.py)

SEED = int(os.environ.get("DESKSIDE_CRASH_SEED", "4"))
DRAIN_TIMEOUT = 240.0  # seconds for each wave under fire: 30–50 s on a quiet machine
POLLER_QUOTA = (40, 160)  # processed mails per life of the poller
WORKER_QUOTA = (10, 60)  # mails at the sink per life of the worker


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.5)


@pytest.mark.slow
def test_every_mail_is_one_ticket_or_message_when_poller_and_worker_are_killed(
    dovecot: dict[str, str], tmp_path: Path
) -> None:
    started = time.monotonic()
    mails = plan(SEED)
    first_wave = [m for m in mails if m.kind != "reply"]
    replies = [m for m in mails if m.kind == "reply"]
    (tmp_path / "data").mkdir()
    (tmp_path / "logs").mkdir()
    database = Database(tmp_path / "data")
    sink = Sink(door.free_port())
    sink.start()
    server = door.mailbox_of(dovecot)
    env = dict(os.environ) | {
        "DESKSIDE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": database.url,
        "DESKSIDE_IMAP_URL": door.imap_url(server),
        "DESKSIDE_SUPPORT_ADDRESS": SUPPORT,
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
    }
    poller = Supervised(
        "poller",
        ["imap_poll", "--skip-checks"],
        env,
        tmp_path / "logs",
        marker="imap: polling",
        progress=database.processed_mails,
        quota=POLLER_QUOTA,
        rng=random.Random(f"{SEED}-poller"),
    )
    worker = Supervised(
        "worker",
        ["db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.5", "--skip-checks"],
        env,
        tmp_path / "logs",
        marker="Starting worker",
        progress=lambda: len(sink.received),
        quota=WORKER_QUOTA,
        rng=random.Random(f"{SEED}-worker"),
    )
    killer = Killer(SEED, poller, worker, database.expire_leases)
    try:
        run_commands(["deskside.cli", "migrate", "-v0"], env=env, timeout=120)
        with imap.connected(server) as box:
            box.delete(box.uids())
            box.folder.delete(imap.ensure_folder(box, PROCESSED))
            for mail in first_wave:
                box.append(mail.raw, "INBOX")
            setup_done = time.monotonic()
            poller.start()
            worker.start()
            killer.start()
            wait_until(lambda: door.count(box, "INBOX") == 0, DRAIN_TIMEOUT, "first wave")
            for mail in replies:
                box.append(mail.raw, "INBOX")
            wait_until(lambda: door.count(box, "INBOX") == 0, DRAIN_TIMEOUT, "replies")
            killer.halt.set()
            killer.join()
            chaos_done = time.monotonic()
            poller.stop()
            worker.stop()
            run_commands(
                ["deskside.cli", "imap_poll", "--once"],
                ["deskside.cli", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
                env=env,
            )
            [output] = run_commands(["tests.mail.crash_support", "finish"], env=env)
            report = json.loads(output)
            in_inbox = door.count(box, "INBOX")
            in_processed = door.count(box, imap.ensure_folder(box, PROCESSED))
    finally:
        killer.halt.set()
        if killer.is_alive():
            killer.join(10)  # before stopping: it must not start a process again afterwards
        poller.stop()
        worker.stop()
        sink.stop()
        database.drop()

    received = Counter(r.message_id for r in sink.received)
    twice = {mid: n for mid, n in received.items() if n > 1}
    outbound = {m["message_id"]: m for m in report["outbound"]}
    summary = {
        "seed": SEED,
        "database": "postgresql" if database.postgres else "sqlite",
        "kills": {"poller": poller.kills, "worker": worker.kills, "both_at_once": killer.both},
        "lives": {"poller": poller.lives, "worker": worker.lives},
        "seconds": {
            "setup": round(setup_done - started, 1),
            "chaos": round(chaos_done - setup_done, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "stored_before_sweep": report["stored_before_sweep"],
        "outbound_left_claimed_by_a_killed_worker": report["queued_before_sweep"],
        "outbound_tried_more_than_once": sum(m["attempts"] > 1 for m in outbound.values()),
        "received_twice_at_sink": len(twice),
    }
    print(f"\ncrash test: {json.dumps(summary)}")
    timeline = sorted(
        (round(at - started, 2), f"{each.name} {what}")
        for each in (poller, worker)
        for at, what in each.events
    )
    (tmp_path / "logs" / "chaos.json").write_text(json.dumps(timeline, indent=0))

    assert killer.error is None, f"the killer failed: {killer.error!r}"
    assert not poller.unexpected_exits and not worker.unexpected_exits, (
        f"a process died on its own: {poller.unexpected_exits + worker.unexpected_exits}"
    )
    assert poller.kills >= 3 and worker.kills >= 3, f"too little chaos to mean much: {summary}"

    # The mailbox: everything taken, everything kept in the processed folder, once.
    assert (in_inbox, in_processed) == (0, len(mails))

    # Every mail stored once and processed: new ones opened a ticket, replies joined theirs.
    inbound = {row["message_id"]: row for row in report["inbound"]}
    assert len(report["inbound"]) == len(inbound) == len(mails)
    assert set(inbound) == {m.message_id for m in mails}
    expected_outcome = {"new": "created", "no_severity": "rejected", "reply": "appended"}
    wrong = [
        (m.message_id, inbound[m.message_id]["status"], inbound[m.message_id]["outcome"])
        for m in mails
        if (inbound[m.message_id]["status"], inbound[m.message_id]["outcome"])
        != ("processed", expected_outcome[m.kind])
        or inbound[m.message_id]["direction"] != "inbound"
    ]
    assert not wrong, f"{len(wrong)} mails not processed as expected, e.g. {wrong[:5]}"

    tickets = {t["id"]: t for t in report["tickets"]}
    assert len(tickets) == len(first_wave)
    ticket_of = {m.message_id: inbound[m.message_id]["ticket"] for m in first_wave}
    assert len(set(ticket_of.values())) == len(first_wave), "two mails share a ticket"
    for mail in first_wave:
        ticket = tickets[ticket_of[mail.message_id]]
        assert ticket["contact"] == mail.sender
        if mail.kind == "new":
            assert (ticket["status"], ticket["close_reason"]) == ("new", "")
        else:
            assert (ticket["status"], ticket["close_reason"]) == ("closed", "no_severity")
    misthreaded = [
        m.message_id for m in replies if inbound[m.message_id]["ticket"] != ticket_of[m.replies_to]
    ]
    assert not misthreaded, f"replies on the wrong ticket: {misthreaded}"

    # One automatic answer per new mail: on its ticket, in the outbox, sent.
    answers = Counter(ticket for ticket, _kind in report["answers_on_tickets"])
    assert len(report["answers_on_tickets"]) == len(first_wave)
    assert set(answers.values()) == {1} and set(answers) == set(tickets)
    assert len(outbound) == len(report["outbound"]) == len(first_wave)
    answer_to = {m["in_reply_to"]: m for m in outbound.values()}
    for mail in first_wave:
        answer = answer_to[mail.message_id]
        purpose = "acknowledgement" if mail.kind == "new" else "protocol"
        assert (answer["purpose"], answer["to"], answer["status"]) == (
            purpose,
            [mail.sender],
            "sent",
        )
        assert answer["ticket_ref"] == tickets[ticket_of[mail.message_id]]["ref"]

    # What the clients got: every answer, each exactly once, to the right address.
    assert set(received) == set(outbound), "the sink did not get exactly the outbox's mails"
    recipients = {r.message_id: r.recipients for r in sink.received}
    assert all(list(recipients[mid]) == m["to"] for mid, m in outbound.items())
    # A copy too many can only come from a worker killed after the sink accepted the mail and
    # before the row was marked sent: the retry is then on the row (attempts > 1).
    unexplained = {mid: n for mid, n in twice.items() if n > outbound[mid]["attempts"]}
    assert not unexplained, f"sent more often than tried: {unexplained}"
    # Delivery over SMTP is at-least-once by design (nothing is lost): a worker killed between the
    # server's 250 and marking the row sent cannot know the mail went out, so it sends it again,
    # with the same Message-ID, which mail clients use to show it once. What must never happen is an
    # answer generated twice (checked above) or sent without a cause.
    assert all(outbound[mid]["attempts"] > 1 for mid in twice), summary
