"""Whether the desk does its work: the readiness answer (/health/ready) and the figures behind it.

`/health` says that the web server answers; readiness says that the rest of the desk keeps up.
Each check reads an index, whatever the size of the tables, and has one stated limit:

- database: a query answers;
- outbox: no mail has been due for sending longer than OUTBOX_LATE (the scheduler asks for
  sending every 15 s, and a failed attempt moves the next one into the future, so a mail that
  stays due means that nothing sends, not that the mail server refuses);
- stored mail: no mail a door accepted has waited to be processed longer than STORED_LATE (the
  sweep finishes stored mail every 30 s);
- scheduler: its lease was renewed within SCHEDULER_LATE (the scheduler renews it every second
  and it expires after a minute; without it no clock is swept and nothing is retried);
- gmail_oauth, only when IMAP or outbound mail signs in with XOAUTH2: the credentials are stored
  and the token endpoint has not refused the refresh token (deskside/oauth.py). No mail comes in
  or goes out until a lead connects again, so it is a readiness failure, not a log line only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from deskside import oauth
from deskside.leases import Lease
from deskside.mail.models import InboundMail, InboundStatus
from deskside.outbox.models import OutboundMail, OutboundStatus
from deskside.runtime import scheduler

OUTBOX_LATE = timedelta(minutes=10)
STORED_LATE = timedelta(minutes=5)
SCHEDULER_LATE = timedelta(seconds=90)


@dataclass(frozen=True)
class Outbox:
    queued: int
    due: int
    oldest_due: timedelta | None


@dataclass(frozen=True)
class StoredMail:
    waiting: int
    oldest: timedelta | None


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    figures: dict[str, float | int | str | None] = field(default_factory=dict)
    problem: str = ""

    def as_dict(self) -> dict[str, object]:
        answer: dict[str, object] = {"ok": self.ok, **self.figures}
        if self.problem:
            answer["problem"] = self.problem
        return answer


def outbox(now: datetime) -> Outbox:
    queued = OutboundMail.objects.filter(status=OutboundStatus.QUEUED)
    due = queued.filter(next_attempt_at__lte=now)
    first = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return Outbox(queued.count(), due.count(), now - first if first else None)


def stored_mail(now: datetime) -> StoredMail:
    waiting = InboundMail.objects.filter(status=InboundStatus.STORED)
    first = waiting.order_by("pk").values_list("stored_at", flat=True).first()
    return StoredMail(waiting.count(), now - first if first else None)


def scheduler_lease_age(now: datetime) -> timedelta | None:
    """How long ago the scheduler last renewed its lease; None when nobody holds it."""
    expires = (
        Lease.objects.filter(name=scheduler.LEASE).values_list("expires_at", flat=True).first()
    )
    return None if expires is None else now - (expires - scheduler.LEASE_TTL)


def readiness(now: datetime | None = None) -> list[Check]:
    """Every check, in order; when the database does not answer, that is the only check."""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        return [Check("database", False, problem=f"the database does not answer: {error}")]
    checks = [Check("database", True), _outbox(now), _stored(now), _scheduler(now)]
    return [*checks, _gmail_oauth()] if uses_oauth() else checks


def uses_oauth() -> bool:
    imap = settings.DESKSIDE_IMAP
    return (imap is not None and imap.auth == "xoauth2") or settings.EMAIL_BACKEND.endswith(
        "XOAuth2EmailBackend"
    )


def _gmail_oauth() -> Check:
    problem = oauth.problem()
    return Check(
        "gmail_oauth", not problem, {"credentials": str(oauth.credentials_path())}, problem
    )


def _outbox(now: datetime) -> Check:
    found = outbox(now)
    late = found.oldest_due is not None and found.oldest_due > OUTBOX_LATE
    return Check(
        "outbox",
        not late,
        {
            "queued": found.queued,
            "due": found.due,
            "oldest_due_seconds": _seconds(found.oldest_due),
            "limit_seconds": OUTBOX_LATE.total_seconds(),
        },
        f"a mail has been due for sending for {_seconds(found.oldest_due):.0f} s: is the worker "
        "running?"
        if late
        else "",
    )


def _stored(now: datetime) -> Check:
    found = stored_mail(now)
    late = found.oldest is not None and found.oldest > STORED_LATE
    return Check(
        "stored_mail",
        not late,
        {
            "waiting": found.waiting,
            "oldest_seconds": _seconds(found.oldest),
            "limit_seconds": STORED_LATE.total_seconds(),
        },
        f"a mail accepted {_seconds(found.oldest):.0f} s ago is still not processed: are the "
        "worker and the scheduler running?"
        if late
        else "",
    )


def _scheduler(now: datetime) -> Check:
    age = scheduler_lease_age(now)
    figures: dict[str, float | int | str | None] = {
        "lease_age_seconds": _seconds(age),
        "limit_seconds": SCHEDULER_LATE.total_seconds(),
    }
    if age is None:
        return Check("scheduler", False, figures, "no scheduler holds the lease: is one running?")
    if age > SCHEDULER_LATE:
        return Check(
            "scheduler",
            False,
            figures,
            f"the scheduler last renewed its lease {age.total_seconds():.0f} s ago",
        )
    return Check("scheduler", True, figures)


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else round(delta.total_seconds(), 3)
