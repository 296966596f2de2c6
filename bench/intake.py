"""Benchmark: mail intake, raw bytes to stored ticket and queued answer, in one process.

Run as `.venv/bin/python bench/intake.py`; prints one JSON object. It generates 2,000 mails of
mixed kinds (seeded, so every run and every database gets the same bytes) and measures:

- `sqlite`: all 2,000 in one process on a fresh SQLite database, the way the doors that have
  several mails at hand take them (the IMAP poller, `deskside ingest` with several files):
  `ingest_many(mails, door=Door.PIPE, batch_size=50)`, a batch stored in one transaction and
  processed in a second (median of RUNS runs, each its own process and its own fresh database);
- `sqlite_one_at_a_time`: the same with `ingest(raw, door=Door.PIPE)` for each mail, two commits
  per mail (`deskside ingest` with one file; the SMTP door also stores and processes each mail
  on its own);
- `postgres`: the batched path on PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL points to
  one. The bench uses (drops and creates) the database `deskside_bench` on that server, never
  the one named in the URL;
- `ceiling`: Python's email package alone parsing the same mails (`message_from_bytes` with
  `policy.default`, then every part's `get_content()`), the issue's reference point. It is not
  a hard ceiling: Deskside's parser reads headers raw and decodes only what it keeps, and
  stores and parses faster than this (see the next figure);
- `sqlite_store_and_parse_only`: the same mails stored and parsed by Deskside's parser, nothing
  decided and no ticket rows: the first half of the pipeline, so that the full figure splits
  in two;
- `postgres_across_processes`: 1, 2 and 4 intake processes sharing the 2,000 mails on one
  PostgreSQL database (the doors of several nodes, or several pollers of several mailboxes),
  mails/s from a common start to the last one's end;
- `memory`: the peak RSS of a fresh process ingesting one mail with a 25 MB attachment (SQLite).

Each measurement runs in a child process (`bench/intake.py --one WHAT`, WHAT one of sqlite,
postgres, memory, store-and-parse) so that a database gets a process of its own and the memory
figure is not inflated by the other runs.
`--one sqlite` measures `ingest()` one mail at a time, `--one sqlite --batch 50` the batched
path; `--profile FILE` (with `--one sqlite|postgres`) writes a cProfile of the ingest loop.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import email
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MAILS = 2_000
DOOR_BATCH = 50  # deskside.mail.intake.BATCH_SIZE: what the IMAP poller and the pipe door use
RUNS = 3
SEED = 20260404
TARGET_MAILS_PER_SECOND = 500  # README.md, Speed: SQLite, one process
TARGET_PEAK_RSS_MB = 200  # README.md, Speed: one mail with a 25 MB attachment
BIG_ATTACHMENT_BYTES = 25 * 1024 * 1024
# Parallel runs on one server (several sessions on a shared machine) each name their own.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "deskside_bench")
SUPPORT = "support@deskside.bench"
REF_PREFIX = "CCS"

# Weights of the kinds of new mail; replies come on top (see `generate`).
KINDS = {"plain": 40, "html_only": 14, "alternative": 20, "attachment": 9, "no_severity": 17}
REPLY_SHARE = 0.12  # of all mails; a quarter of them add a level to a ticket closed without one

SUBJECTS = {
    "en": [
        "Severity {n} - export to Excel fails",
        "Sev {n}: login page is slow",
        "[S{n}] invoices are not generated",
        "Severity level {n} - report shows wrong totals",
    ],
    "nl": [
        "Ernst {n} - export naar Excel mislukt",
        "Ernstniveau {n}: aanmelden duurt lang",
        "Ernst {n}: facturen worden niet aangemaakt",
    ],
    "fr": [
        "Gravité {n} - l'export vers Excel échoue",
        "Sévérité {n} : la connexion est lente",
        "Niveau de gravité {n} - les factures ne sont pas générées",
    ],
    "de": [
        "Schweregrad {n} - Export nach Excel schlägt fehl",
        "Schweregrad {n}: Anmeldung dauert sehr lange",
    ],
}
NO_SEVERITY_SUBJECTS = {
    "en": ["Question about the monthly report", "Export problem", "Urgent: cannot log in"],
    "nl": ["Vraag over het maandrapport", "Probleem met de export"],
    "fr": ["Question sur le rapport mensuel", "Problème d'export"],
    "de": ["Frage zum Monatsbericht", "Problem mit dem Export"],
}
BODIES = {
    "en": (
        "Hello,\n\nSince this morning the export to Excel stops halfway and the file is empty. "
        "We tried it on two machines with the same result. Could you have a look?\n\n"
        "Kind regards,\n{name}\n"
    ),
    "nl": (
        "Goedemorgen,\n\nSinds vanochtend stopt de export naar Excel halverwege en is het "
        "bestand leeg. We hebben het op twee computers geprobeerd, met hetzelfde resultaat. "
        "Kunnen jullie even kijken?\n\nMet vriendelijke groeten,\n{name}\n"
    ),
    "fr": (
        "Bonjour,\n\nDepuis ce matin, l'export vers Excel s'arrête à mi-chemin et le fichier "
        "est vide. Nous avons essayé sur deux postes avec le même résultat. Pourriez-vous "
        "regarder ?\n\nCordialement,\n{name}\n"
    ),
    "de": (
        "Guten Tag,\n\nseit heute Morgen bricht der Export nach Excel auf halbem Weg ab und "
        "die Datei ist leer. Wir haben es auf zwei Rechnern versucht, mit demselben Ergebnis. "
        "Können Sie sich das ansehen?\n\nMit freundlichen Grüßen,\n{name}\n"
    ),
}
NAMES = [
    "Claire Peeters",
    "Jan Janssens",
    "Sophie Dubois",
    "Lukas Schmidt",
    "An De Smet",
    "Marie Lambert",
    "Thomas Müller",
    "Pieter Claes",
    "Julie Martin",
    "Anna Weber",
]
COMPANIES = ["acme", "globex", "initech", "umbrella"]
DOMAINS = 250


def _domain(contact: int) -> str:
    return f"{COMPANIES[contact % len(COMPANIES)]}-{contact % DOMAINS}.example"


@dataclass
class Expected:
    """What a correct intake must produce for the generated set (the sanity check)."""

    outcomes: Counter[str] = field(default_factory=Counter)
    tickets: int = 0
    answers: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


@dataclass
class _Sent:
    number: int  # the ticket number this mail creates (fresh database: 1, 2, 3, ...)
    sender: tuple[str, str]
    language: str
    subject: str
    message_id: str
    severity: bool


# --- the mails --------------------------------------------------------------------------------


def _headers(
    rng: random.Random,
    sender: tuple[str, str],
    subject: str,
    message_id: str,
    language: str,
    extra: dict[str, str] | None = None,
) -> list[str]:
    name, address = sender
    date = format_datetime(_when(rng))
    lines = [
        f"Received: from mx.{address.split('@')[1]} by mx.deskside.bench; {date}",
        f"From: {email.utils.formataddr((name, address))}",
        f"To: Deskside support <{SUPPORT}>",
        f"Subject: {email.header.Header(subject, 'utf-8').encode()}",
        f"Date: {date}",
        f"Message-ID: <{message_id}>",
        "MIME-Version: 1.0",
    ]
    if rng.random() < 0.5:
        lines.append(f"Content-Language: {language}")
    lines.extend(f"{k}: {v}" for k, v in (extra or {}).items())
    return lines


def _when(rng: random.Random) -> Any:
    from datetime import UTC, datetime, timedelta

    return datetime(2026, 3, 2, 7, 0, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 30))


def _qp_text(text: str) -> str:
    import quopri

    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return (
        f"<html><head><style>p {{ font-family: Arial; }}</style></head><body>{paragraphs}"
        '<div class="signature"><img src="https://tracker.example/pixel.gif" alt="">'
        "</div></body></html>"
    )


def _pdf_like(rng: random.Random, size: int) -> bytes:
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n"
    return head + rng.randbytes(size - len(head) - 6) + b"%%EOF\n"


def _b64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def _body(kind: str, rng: random.Random, text: str, boundary: str) -> tuple[list[str], str]:
    """Content headers and body for one kind of mail."""
    if kind in ("plain", "no_severity", "reply"):
        return (
            [
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
            ],
            _qp_text(text),
        )
    if kind == "html_only":
        return (
            [
                "Content-Type: text/html; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable",
            ],
            _qp_text(_html(text)),
        )
    if kind == "alternative":
        body = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp_text(text)}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp_text(_html(text))}\r\n"
            f"--{boundary}--\r\n"
        )
        return ([f'Content-Type: multipart/alternative; boundary="{boundary}"'], body)
    assert kind == "attachment"
    pdf = _pdf_like(rng, 20 * 1024)
    body = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp_text(text)}\r\n"
        f'--{boundary}\r\nContent-Type: application/pdf; name="export-log.pdf"\r\n'
        f'Content-Disposition: attachment; filename="export-log.pdf"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{_b64_lines(pdf)}\r\n--{boundary}--\r\n"
    )
    return ([f'Content-Type: multipart/mixed; boundary="{boundary}"'], body)


def _raw(header_lines: list[str], body: str) -> bytes:
    return ("\r\n".join(header_lines) + "\r\n\r\n" + body).encode("utf-8")


def generate(count: int = MAILS, seed: int = SEED) -> tuple[list[bytes], Expected]:
    """The mixed set, deterministic for a seed. On a fresh database the n-th new mail opens
    ticket n, so a reply can name its ticket's reference before anything is ingested."""
    rng = random.Random(seed)
    expected = Expected()
    sent: list[_Sent] = []
    reopened: set[int] = set()
    mails: list[bytes] = []
    kinds, weights = zip(*KINDS.items(), strict=True)
    for index in range(count):
        closed = [s for s in sent if not s.severity and s.number not in reopened]
        open_ = [s for s in sent if s.severity]
        boundary = f"=_bench_{index}_{rng.getrandbits(32):08x}"
        if sent and rng.random() < REPLY_SHARE and open_:
            fixes = bool(closed) and rng.random() < 0.25
            earlier = rng.choice(closed if fixes else open_)
            level = rng.randint(1, 4)
            tag = f"Sev {level} " if fixes else ""
            subject = f"Re: [{REF_PREFIX}-{earlier.number}] {tag}{earlier.subject}"
            text = (
                BODIES[earlier.language]
                .format(name=earlier.sender[0])
                .replace("\n\n", "\n\nOne more detail: it also happens with CSV.\n\n", 1)
            )
            message_id = make_msgid(domain=earlier.sender[1].split("@")[1])[1:-1]
            headers = _headers(
                rng,
                earlier.sender,
                subject,
                message_id,
                earlier.language,
                {"In-Reply-To": f"<{earlier.message_id}>", "References": f"<{earlier.message_id}>"},
            )
            content, body = _body("reply", rng, text, boundary)
            mails.append(_raw(headers + content, body))
            expected.outcomes["appended"] += 1
            expected.kinds["reply_reopens" if fixes else "reply"] += 1
            if fixes:
                reopened.add(earlier.number)
                expected.answers += 1  # the acknowledgement of the level it now has
            continue
        kind = rng.choices(kinds, weights)[0]
        language = rng.choice(sorted(SUBJECTS))
        number = len(sent) + 1
        # Two new mails per contact at most, and a few contacts per domain, so that no cap on
        # automatic answers or new tickets (per address, per domain) bites: this is ordinary
        # traffic, not a flood (docs/mail-doors.md, Floods).
        name = NAMES[(number // 2) % len(NAMES)]
        address = f"{name.split()[0].lower()}.{number // 2}@{_domain(number // 2)}"
        if kind == "no_severity":
            subject = rng.choice(NO_SEVERITY_SUBJECTS[language])
        else:
            subject = rng.choice(SUBJECTS[language]).format(n=rng.randint(1, 4))
        if any(s.sender[1] == address and s.subject == subject for s in sent[-1:]):
            subject += " (again)"  # the same subject twice would be one ticket (a repeat)
        message_id = make_msgid(domain=address.split("@")[1])[1:-1]
        headers = _headers(rng, (name, address), subject, message_id, language)
        content, body = _body(kind, rng, BODIES[language].format(name=name), boundary)
        mails.append(_raw(headers + content, body))
        sent.append(
            _Sent(
                number,
                (name, address),
                language,
                subject,
                message_id,
                severity=kind != "no_severity",
            )
        )
        expected.kinds[kind] += 1
        expected.tickets += 1
        expected.answers += 1  # an acknowledgement, or the protocol explanation
        expected.outcomes["rejected" if kind == "no_severity" else "created"] += 1
    return mails, expected


def big_mail(size: int = BIG_ATTACHMENT_BYTES) -> bytes:
    rng = random.Random(SEED)
    headers = _headers(
        rng,
        ("Claire Peeters", "claire@acme.example"),
        "Severity 3 - the full database dump",
        "big-1@acme.example",
        "en",
    )
    boundary = "=_bench_big"
    text = BODIES["en"].format(name="Claire Peeters")
    body = (
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
        f'Content-Disposition: attachment; filename="dump.bin"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{_b64_lines(rng.randbytes(size))}\r\n"
        f"--{boundary}--\r\n"
    )
    return _raw([*headers, f'Content-Type: multipart/mixed; boundary="{boundary}"'], body)


# --- the ceiling: the email package alone ------------------------------------------------------


def parse_only(mails: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in mails:
        message = email.message_from_bytes(raw, policy=policy.default)
        for part in message.walk():
            if not part.is_multipart():
                part.get_content()
    return len(mails) / (time.perf_counter() - started)


# --- one database, one process ------------------------------------------------------------------


def _postgres_url() -> str | None:
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return url
    return None


def _fresh_postgres(url: str) -> str:
    """Drop and create `deskside_bench` on the server of `url`; returns the URL of that database."""
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(
        server.replace("postgresql://", "postgres://", 1), autocommit=True
    ) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def _setup_django(
    database: str, migrate_apart: bool = False, url: str | None = None
) -> dict[str, Any]:
    """Environment first, then Django: settings are read once, at setup.

    `migrate_apart` migrates in a process of its own, as a deployment does before any door runs,
    so that what migrations import does not count in this process's memory.
    """
    data_dir = tempfile.mkdtemp(prefix="deskside-bench-")
    os.environ["DESKSIDE_DATA_DIR"] = data_dir
    os.environ["DESKSIDE_SUPPORT_ADDRESS"] = SUPPORT
    os.environ["DESKSIDE_REF_PREFIX"] = REF_PREFIX
    os.environ["DJANGO_SETTINGS_MODULE"] = "deskside.settings"
    os.environ.pop("EMAIL_URL", None)
    info: dict[str, Any] = {"data_dir": data_dir}
    if url:  # a database made and migrated by the parent (the parallel runs)
        os.environ["DATABASE_URL"] = url
        migrate_apart = True
        info["database"] = BENCH_DATABASE
    elif database == "postgres":
        server = _postgres_url()
        assert server, "no PostgreSQL URL in BENCH_DATABASE_URL or DATABASE_URL"
        os.environ["DATABASE_URL"] = _fresh_postgres(server)
        info["database"] = BENCH_DATABASE
    else:
        os.environ.pop("DATABASE_URL", None)
    if migrate_apart and not url:
        subprocess.run([sys.executable, "-m", "django", "migrate", "--verbosity=0"], check=True)
    import logging

    import django

    from deskside.config import prepare

    prepare()
    django.setup()
    logging.disable(logging.WARNING)  # a warning per mail would measure the console
    from django.core.management import call_command

    import deskside.outbox.send

    # The worker sends; the bench measures intake up to the queued answer. Without a worker the
    # "send now" task would pile up as rows of the task table, so that kick is switched off.
    deskside.outbox.send._kick = lambda: None
    if not migrate_apart:
        call_command("migrate", verbosity=0)
    return info


def _counts() -> dict[str, Any]:
    from deskside.outbox.models import OutboundMail
    from deskside.tickets.models import Ticket

    return {"tickets": Ticket.objects.count(), "answers_queued": OutboundMail.objects.count()}


def _clean_up(info: dict[str, Any]) -> None:
    from django.db import connection

    connection.close()
    shutil.rmtree(info["data_dir"], ignore_errors=True)


def run_one(database: str, profile: str | None, batch: int = 0) -> dict[str, Any]:
    info = _setup_django(database)
    from django.db import connection

    from deskside.mail.intake import ingest, ingest_many
    from deskside.mail.models import Door

    mails, expected = generate()
    outcomes: Counter[str] = Counter()
    # A running worker has its URL resolver built (about a second: every URL module and the
    # API's schemas imported) before its first mail; this fresh process would pay it on the
    # first acknowledgement's portal link, inside the timing.
    from django.urls import reverse

    reverse("portal:ticket", args=["X-1"])
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    if batch:
        for result in ingest_many(mails, door=Door.PIPE, batch_size=batch):
            outcomes[result.outcome.value] += 1
    else:
        for raw in mails:
            outcomes[ingest(raw, door=Door.PIPE).outcome.value] += 1
    seconds = time.perf_counter() - started
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    counts = _counts()
    _clean_up(info)
    sane = (
        counts["tickets"] == expected.tickets
        and counts["answers_queued"] == expected.answers
        and outcomes == expected.outcomes
    )
    return {
        "vendor": connection.vendor,
        "path": _path(batch),
        "mails": len(mails),
        "seconds": round(seconds, 3),
        "mails_per_second": round(len(mails) / seconds, 1),
        "outcomes": dict(sorted(outcomes.items())),
        "expected_outcomes": dict(sorted(expected.outcomes.items())),
        **counts,
        "expected_tickets": expected.tickets,
        "expected_answers_queued": expected.answers,
        "sane": sane,
        **{k: v for k, v in info.items() if k != "data_dir"},
    }


def store_and_parse_only(batch: int) -> dict[str, Any]:
    """The first half of the pipeline alone, on a fresh SQLite database: the mails stored a
    batch at a time (store_many) and parsed by Deskside's parser; nothing decided, no ticket rows.
    The rest of the full figure's time is deciding, the ticket's rows and the answer."""
    info = _setup_django("sqlite")
    from deskside.mail.intake import Arrival, batches, store_many
    from deskside.mail.models import Door
    from deskside.mail.parse import MailRejected, parse

    mails, _ = generate()
    started = time.perf_counter()
    for group in batches((Arrival(raw) for raw in mails), lambda a: len(a.raw), most=batch):
        for stored in store_many(group, door=Door.PIPE):
            with contextlib.suppress(MailRejected):
                parse(stored.raw)
    seconds = time.perf_counter() - started
    _clean_up(info)
    return {"mails": len(mails), "mails_per_second": round(len(mails) / seconds, 1)}


def _path(batch: int) -> str:
    if batch:
        return (
            f"ingest_many(mails, door=Door.PIPE, batch_size={batch}): the path of the IMAP "
            "poller and of `deskside ingest` with several files"
        )
    return (
        "ingest(raw, door=Door.PIPE), one mail at a time: `deskside ingest` with one file "
        "(the SMTP door stores and processes one mail at a time too)"
    )


def write_big_mail(path: Path) -> int:
    path.write_bytes(big_mail())
    return path.stat().st_size


def peak_rss_one_big_mail(path: Path) -> dict[str, Any]:
    """In a fresh process: set Django up, read the mail from a file (as `deskside ingest FILE`
    does), ingest it. Generating the mail and migrating happen elsewhere, so they do not count."""
    info = _setup_django("sqlite", migrate_apart=True)
    from deskside.mail.intake import ingest
    from deskside.mail.models import Door

    after_setup = _vm_hwm_mb()
    raw = path.read_bytes()
    size = len(raw)
    before = _vm_hwm_mb()
    result = ingest(raw, door=Door.PIPE)
    peak = _vm_hwm_mb()
    _clean_up(info)
    return {
        "attachment_bytes": BIG_ATTACHMENT_BYTES,
        "mail_bytes": size,
        "outcome": result.outcome.value,
        "reason": result.reason,
        "rss_mb_after_django_setup": after_setup,
        "rss_mb_with_the_raw_mail_read": before,
        "peak_rss_mb": peak,
        "measured_as": "VmHWM of the child process (/proc/self/status)",
    }


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


NOTES = [
    "ingest() = store (raw bytes in the database table mail_raw up to 1 MiB, else a file with "
    "fsync; InboundMail row; committed) then process (parse, decide, ticket, message, "
    "attachments, events, answer) in a transaction of its own; ingest_many() (--batch N, the "
    "headline 'sqlite' figure) stores N mails in one transaction, commits, then processes them "
    "in a second transaction, a savepoint each, so that a bad mail is quarantined alone "
    "('path' says which was measured)",
    "the time includes what the first mail of a process pays once, as a freshly started door "
    "pays it (first queries, templates compiled, the year's business calendar compiled)",
    "memory: the child process migrates its fresh database in a process of its own first, as a "
    "deployment does before any door runs, so the migration framework's imports do not count",
    "answers are counted when queued in the outbox; sending is the worker's job, so the bench "
    "switches off deskside.outbox.send._kick (the on-commit 'send now' task)",
    "PostgreSQL: database deskside_bench, dropped and created before each run; the test server "
    "of scripts/postgres-test.sh runs with fsync=off and synchronous_commit=off",
    "the data directory (raw mail, attachments, SQLite file) is a fresh temp directory "
    f"under {tempfile.gettempdir()}",
]


# --- intake across processes (PostgreSQL) -------------------------------------------------------


def _independent() -> list[bytes]:
    """The generated mails without the replies: which ticket a reply finds depends on which
    process got there first, so the parallel runs take only mails that stand alone."""
    return [raw for raw in generate()[0] if b"\nIn-Reply-To:" not in raw]


def run_part(url: str, part: int, parts: int, go: Path) -> dict[str, Any]:
    """One of `parts` intake processes on a shared database: every `parts`-th mail from `part`,
    in batches as the IMAP poller takes them; starts when the parent creates `go`."""
    info = _setup_django("postgres", url=url)
    from deskside.mail.intake import ingest_many
    from deskside.mail.models import Door

    mine = _independent()[part::parts]
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    outcomes = Counter(r.outcome.value for r in ingest_many(mine, door=Door.PIPE))
    finished = time.time()
    _clean_up(info)
    return {"mails": len(mine), "finished": finished, "outcomes": dict(outcomes)}


def _parallel(server: str, parts: int) -> dict[str, Any]:
    """`parts` processes take the mails together; mails/s from the go to the last one's end.
    Sane when every mail made exactly one ticket or closed one (no severity), none held."""
    url = _fresh_postgres(server)
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="deskside.settings")
    env["DESKSIDE_DATA_DIR"] = tempfile.mkdtemp(prefix="deskside-bench-")
    subprocess.run([sys.executable, "-m", "deskside.cli", "migrate", "-v0"], env=env, check=True)
    go = Path(tempfile.mkdtemp(prefix="deskside-bench-go-")) / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--one",
                "postgres-part",
                "--url",
                url,
                "--go",
                str(go),
                "--part",
                str(i),
                "--parts",
                str(parts),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(parts)
    ]
    for child in children:
        assert child.stdout and child.stdout.readline().strip() == "ready"
    started = time.time()
    go.touch()
    results = [json.loads(child.communicate()[0].splitlines()[-1]) for child in children]
    seconds = max(r["finished"] for r in results) - started
    mails = sum(r["mails"] for r in results)
    outcomes: Counter[str] = Counter()
    for r in results:
        outcomes.update(r["outcomes"])
    return {
        "processes": parts,
        "mails_per_second": round(mails / seconds, 1),
        "seconds": round(seconds, 2),
        "outcomes": dict(sorted(outcomes.items())),
        "sane": set(outcomes) <= {"created", "rejected"} and outcomes.total() == mails,
    }


def _parallel_figures(server: str | None) -> dict[str, Any]:
    if not server:
        return {"skipped": "set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server"}
    return {
        "what": "N intake processes on one PostgreSQL database sharing the generated mails "
        "without the replies, ingest_many() in batches of 50 as the IMAP poller does",
        "runs": [_parallel(server, parts) for parts in (1, 2, 4)],
    }


# --- the whole run -----------------------------------------------------------------------------


def _child(what: str, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", what, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-20:]}
    return dict(json.loads(done.stdout))


def _database_figures(what: str, runs: int, batch: int) -> dict[str, Any]:
    results = [_child(what, "--batch", str(batch)) for _ in range(runs)]
    good = [r for r in results if "error" not in r]
    if not good:
        return {"error": results[0]["error"]}
    rates = [r["mails_per_second"] for r in good]
    last = good[-1]
    return {
        "mails_per_second": round(statistics.median(rates), 1),
        "statistic": f"median of {len(good)} runs, each a fresh process and a fresh database"
        if len(good) > 1
        else "1 run in a fresh process on a fresh database",
        "runs_mails_per_second": rates,
        "path": last["path"],
        "sane": all(r["sane"] for r in good),
        **{
            k: last[k]
            for k in (
                "outcomes",
                "tickets",
                "answers_queued",
                "expected_tickets",
                "expected_answers_queued",
            )
        },
        **({"errors": [r["error"] for r in results if "error" in r]} if len(good) < runs else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--one",
        choices=["sqlite", "postgres", "memory", "store-and-parse", "postgres-part"],
        help="measure one thing in this process (used by the bench itself)",
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per database (median)")
    parser.add_argument("--mail", help="with --one memory: the big mail to ingest")
    parser.add_argument("--profile", help="with --one sqlite|postgres: write a cProfile here")
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="ingest_many() with this batch size (the doors' path for several mails); 0 for "
        f"ingest() one mail at a time. With --one the default is 0, else {DOOR_BATCH}",
    )
    parser.add_argument("--url", help="with --one postgres-part: the shared database")
    parser.add_argument("--go", help="with --one postgres-part: start once this file exists")
    parser.add_argument("--part", type=int, default=0, help="with --one postgres-part")
    parser.add_argument("--parts", type=int, default=1, help="with --one postgres-part")
    args = parser.parse_args()
    if args.one == "postgres-part":
        print(json.dumps(run_part(args.url, args.part, args.parts, Path(args.go))))
        return
    if args.one == "memory":
        assert args.mail, "--one memory needs --mail FILE"
        print(json.dumps(peak_rss_one_big_mail(Path(args.mail))))
        return
    if args.one == "store-and-parse":
        print(json.dumps(store_and_parse_only(args.batch or DOOR_BATCH)))
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.profile, args.batch or 0)))
        return
    batch = DOOR_BATCH if args.batch is None else args.batch

    load = os.getloadavg()  # a busy machine (other test runs) slows every figure below
    mails, expected = generate()
    ceiling = [parse_only(mails) for _ in range(args.runs)]
    sqlite = _database_figures("sqlite", args.runs, batch)
    one_at_a_time = _database_figures("sqlite", args.runs, 0) if batch else None
    first_half = [_child("store-and-parse", "--batch", str(batch or 1)) for _ in range(args.runs)]
    postgres: dict[str, Any] = (
        _database_figures("postgres", args.runs, batch)
        if _postgres_url()
        else {"skipped": "set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server"}
    )
    across_processes = _parallel_figures(_postgres_url())
    with tempfile.TemporaryDirectory(prefix="deskside-bench-big-") as folder:
        big = Path(folder) / "big.eml"
        write_big_mail(big)
        memory = _child("memory", "--mail", str(big))
    sqlite_rate = sqlite.get("mails_per_second", 0.0)
    print(
        json.dumps(
            {
                "benchmark": "intake",
                "mails": len(mails),
                "mix": dict(sorted(expected.kinds.items())),
                "mail_bytes_total": sum(map(len, mails)),
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "load_average_at_start": [round(x, 2) for x in load],
                "sqlite": sqlite,
                **({"sqlite_one_at_a_time": one_at_a_time} if one_at_a_time else {}),
                "sqlite_store_and_parse_only": {
                    "mails_per_second": statistics.median(
                        r.get("mails_per_second", 0.0) for r in first_half
                    ),
                    "statistic": f"median of {len(first_half)} runs",
                    "what": "the same mails stored (store_many) and parsed (deskside.mail.parse), "
                    "nothing decided, no ticket rows: the full figure's remaining time is "
                    "deciding, the ticket's rows and the queued answer",
                },
                "postgres": postgres,
                "postgres_across_processes": across_processes,
                "ceiling_email_package_alone": {
                    "mails_per_second": round(statistics.median(ceiling), 1),
                    "statistic": f"median of {len(ceiling)} runs",
                },
                "memory_25mb_attachment": memory,
                "targets": {
                    "sqlite_mails_per_second": TARGET_MAILS_PER_SECOND,
                    "sqlite_met": sqlite_rate >= TARGET_MAILS_PER_SECOND,
                    "peak_rss_mb": TARGET_PEAK_RSS_MB,
                    "peak_rss_met": memory.get("peak_rss_mb", float("inf")) <= TARGET_PEAK_RSS_MB,
                },
                "notes": NOTES,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
