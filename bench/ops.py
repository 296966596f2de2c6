"""Benchmark: what operating a desk of a million tickets costs — a /metrics scrape, a readiness
answer, the tallies' first count, a backup and its restore (SQLite).

Run as `.venv/bin/python bench/ops.py [--tickets N]`; prints one JSON object (progress on
standard error). The tickets, messages and events are seeded as bench/desk.py seeds them; then
one incoming mail per ticket (and one per second message), clock warnings and breaches on a
tenth of the tickets, 200,000 sent mails with some queued and failed ones, and finished task
runs are added in bulk. The scrape is timed with Django's test Client from loopback (the
whole middleware stack, no HTTP server); the backup and restore are the real commands'
library functions and `deskside restore` in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import desk as seeding  # noqa: E402 - bench/desk.py, beside this file

TARGET_SCRAPE_MS = 100  # issue #18: a scrape within about 100 ms
REQUESTS = 20
CHUNK = 20_000


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection, transaction

    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    for start in range(0, len(rows), CHUNK):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows[start : start + CHUNK])


def seed_operations(tickets: int) -> dict[str, int]:
    """The rows the desk bench does not make: mails in and out, clock alerts, task runs."""
    rng = random.Random(18)
    now = datetime.now(UTC)
    doors = ["imap"] * 8 + ["smtp", "pipe"]
    outcomes = ["created"] * 6 + ["appended"] * 3 + ["rejected", "quarantined", "duplicate"]
    mails = []
    for number in range(1, tickets + tickets // 2 + 1):
        outcome = rng.choice(outcomes)
        status = "quarantined" if outcome == "quarantined" and rng.random() < 0.01 else "processed"
        at = now - timedelta(seconds=rng.randint(60, 4 * 365 * 86400))
        mails.append(
            (
                rng.choice(doors),
                f"m{number}@bench",
                uuid.uuid4().hex + uuid.uuid4().hex,
                uuid.uuid4().hex + uuid.uuid4().hex,
                2000,
                "",
                "Sev 2 export",
                "a@bench",
                at,
                at,
                status,
                outcome,
                "",
                at,
                1,
            )
        )
    _insert(
        "mail_inboundmail",
        (
            "door",
            "message_id",
            "content_hash",
            "raw_sha256",
            "size",
            "envelope_sender",
            "subject",
            "from_address",
            "received_at",
            "stored_at",
            "status",
            "outcome",
            "reason",
            "processed_at",
            "attempts",
        ),
        mails,
    )
    _progress(f"{len(mails):,} incoming mails")
    alerts = []
    for ticket in rng.sample(range(1, tickets + 1), tickets // 10):
        clock = rng.choice(["first_response", "next_update", "goal", "documentation"])
        for kind in ("clock_warning",) + (("clock_breach",) if rng.random() < 0.4 else ()):
            alerts.append((ticket, "system", kind, json.dumps({"clock": clock}), now))
    _insert("tickets_event", ("ticket_id", "actor_label", "kind", "data", "created_at"), alerts)
    _progress(f"{len(alerts):,} clock alerts")
    sent = []
    for number in range(200_000):
        status = "queued" if number < 50 else "failed" if number < 1_050 else "sent"
        due = now + timedelta(minutes=5) if number % 2 else now - timedelta(seconds=30)
        sent.append(
            (
                '["a@bench"]',
                "a@bench",
                "Re: ticket",
                "text",
                "",
                "{}",
                "",
                "",
                "[]",
                f"<o{number}@bench>",
                "",
                "",
                False,
                "reply",
                "",
                status,
                1,
                due,
                "",
                now,
            )
        )
    _insert(
        "outbox_outboundmail",
        (
            '"to"',
            "primary_to",
            "subject",
            "text",
            "html",
            "headers",
            "calendar",
            "calendar_method",
            "attachments",
            "message_id",
            "in_reply_to",
            '"references"',
            "automatic",
            "purpose",
            "ticket_ref",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
        ),
        sent,
    )
    _progress(f"{len(sent):,} outgoing mails")
    return {"incoming_mails": len(mails), "clock_alerts": len(alerts), "outgoing_mails": len(sent)}


def _timed(client: Any, path: str) -> dict[str, float]:
    for _ in range(3):
        client.get(path, REMOTE_ADDR="127.0.0.1")
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        response = client.get(path, REMOTE_ADDR="127.0.0.1")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code in (200, 503), response.status_code
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
    }


def run(tickets: int) -> dict[str, Any]:
    info = seeding._setup_django("sqlite")
    from django.db import connection
    from django.test import Client

    from deskside.runtime import backup, tally

    seeded = seeding.seed(tickets, seeding.make_agents(5))
    _progress(f"seeded {tickets:,} tickets in {seeded['seconds']['total']} s")
    counts = seed_operations(tickets)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    now = datetime.now(UTC)
    started = time.perf_counter()
    tally.advance_all(now)
    counted = tally.advance_all(now + tally.SETTLE)
    first_count = time.perf_counter() - started
    started = time.perf_counter()
    tally.advance_all(now + 2 * tally.SETTLE)
    tally.advance_all(now + 3 * tally.SETTLE)
    next_count = time.perf_counter() - started
    client = Client()
    answer = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert answer.status_code == 200, answer.status_code
    result: dict[str, Any] = {
        "tickets": tickets,
        "rows": counts,
        "tally_first_count_s": round(first_count, 2),
        "tally_rows_counted": counted,
        "tally_next_runs_s": round(next_count, 3),
        "metrics": _timed(client, "/metrics"),
        "ready": _timed(client, "/health/ready"),
        "target_scrape_ms": TARGET_SCRAPE_MS,
    }
    _progress(f"scrape {result['metrics']}")
    result |= _backup_and_restore(backup, info)
    result["database_bytes"] = seeding._database_bytes(info)
    seeding._clean_up(info)
    return result


def _backup_and_restore(backup: Any, info: dict[str, Any]) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="deskside-bench-ops-"))
    archive = folder / "desk.tar.gz"
    made = backup.make(archive)
    _progress(f"backup in {made.seconds:.1f} s")
    env = {**os.environ, "DESKSIDE_DATA_DIR": str(folder / "restored")}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deskside.cli", "restore", str(archive)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    restored = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    size = archive.stat().st_size
    subprocess.run(["rm", "-rf", str(folder)], check=False)
    return {
        "backup_s": round(made.seconds, 1),
        "backup_archive_bytes": size,
        "restore_s": round(restored, 1),
        "restore_said": done.stdout.splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=seeding.TICKETS)
    args = parser.parse_args()
    print(json.dumps(run(args.tickets), indent=2))


if __name__ == "__main__":
    main()
