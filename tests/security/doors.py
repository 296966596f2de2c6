"""What the security tests share: hostile mail written byte by byte (the email package would
refuse or repair what an attacker sends), the doors it comes through, and what a person then
sees (docs/mail-doors.md). The SMTP listener and the IMAP poller against Dovecot come from the
door tests themselves (tests/mail/test_smtp_door.py, tests/mail/test_imap_door.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command

from deskside.mail.intake import ingest
from deskside.mail.models import Door, InboundMail, InboundStatus
from deskside.mail.results import Result
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Notification, NotificationKind, Ticket
from tests.people import People

BXL = ZoneInfo("Europe/Brussels")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BXL)
SUPPORT = "support@deskside.test"
CLAIRE = "claire@acme.example"  # the client of tests/people.py (stored as Claire@Acme.example)


def hostile(
    subject: str = "Sev 2 - export fails",
    *,
    sender: str | Sequence[str] = f"Claire Peeters <{CLAIRE}>",
    headers: Sequence[tuple[str, str]] = (),
    body: str = "Hello, the export fails again since this morning. Could you look? Thanks",
    message_id: str | None = None,
    in_reply_to: str | None = None,
) -> bytes:
    """One mail as raw bytes, its header lines exactly as given (several From fields when
    `sender` is a list)."""
    senders = [sender] if isinstance(sender, str) else list(sender)
    lines = [*(f"From: {s}" for s in senders), f"To: {SUPPORT}", f"Subject: {subject}"]
    lines += [
        "Date: Mon, 02 Mar 2026 09:59:00 +0100",
        f"Message-ID: <{message_id or make_msgid(domain='client.example')[1:-1]}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    if in_reply_to:
        lines += [f"In-Reply-To: <{in_reply_to}>", f"References: <{in_reply_to}>"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode("utf-8")


def pipe(raw: bytes, **kwargs: object) -> Result:
    """The pipe door as the library call every door makes (deskside.mail.intake.ingest)."""
    return ingest(raw, door=Door.PIPE, **kwargs)  # type: ignore[arg-type]


def command(raw: bytes, folder: Path) -> dict[str, object]:
    """`deskside ingest FILE`, the pipe door an MTA runs, in this process: its JSON line."""
    path = folder / f"{make_msgid()[1:-1]}.eml"
    path.write_bytes(raw)
    out = io.StringIO()
    call_command("ingest", str(path), stdout=out)
    [line] = out.getvalue().splitlines()
    return dict(json.loads(line))


def held_mail() -> list[InboundMail]:
    """The Held mail list of the desk, oldest first."""
    return list(InboundMail.objects.filter(status=InboundStatus.QUARANTINED).order_by("id"))


def told(kind: NotificationKind) -> list[str]:
    """Who was told of `kind` (bell items), by username."""
    return sorted(Notification.objects.filter(kind=kind).values_list("user__username", flat=True))


def mailed_to(address: str) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(primary_to=address.lower()).order_by("id"))


def solved_ticket(people: People, level: int = 1) -> Ticket:
    """Claire's ticket at `level`, opened by mail on Monday 10:00 (acknowledged, agents on duty
    alerted for levels 1 and 2), answered and closed as solved at 11:00, nobody assigned.
    What it told people is cleared, so that a test sees only what its own mail brings."""
    result = pipe(hostile(f"Sev {level} - export fails"), received_at=MONDAY_10)
    assert result.ticket, result
    ticket = Ticket.objects.get(pk=int(result.ticket.split("-")[1]))
    with time_machine.travel(MONDAY_10 + timedelta(hours=1), tick=False):
        actions.reply(ticket, "Fixed: the export runs again.", by=actions.Actor.staff(people.agent))
        actions.close(ticket, CloseReason.SOLVED, by=Actor.staff(people.agent))
    ticket.refresh_from_db()
    Notification.objects.all().delete()
    OutboundMail.objects.all().delete()
    return ticket
