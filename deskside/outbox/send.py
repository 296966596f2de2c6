"""Queue and send outbound mail.

`queue()` only writes a row, inside the caller's transaction. `deliver_due()` (a worker task,
started after commit and by the scheduler) sends what is due; a failure schedules the next
attempt with exponential back-off, so an SMTP outage delays mail but loses none.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from deskside.outbox.models import OutboundMail, OutboundStatus

log = logging.getLogger("deskside.outbox")
MAX_ATTEMPTS = 12  # about 17 hours of back-off in total, then a lead must look
LOOP_HEADER = "X-Deskside-Loop"


class HeaderInjection(ValueError):
    """A subject, name or address with a line break: refused, never sent."""


def message_id_domain() -> str:
    return settings.DESKSIDE_SUPPORT_ADDRESS.rpartition("@")[2]


def new_message_id() -> str:
    return f"{secrets.token_hex(12)}@{message_id_domain()}"


def _clean(value: str, what: str) -> str:
    if any(ch in value for ch in "\r\n\x00"):
        raise HeaderInjection(f"{what} contains a line break: {value!r}")
    return value


def queue(
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    purpose: str,
    ticket_ref: str = "",
    in_reply_to: str = "",
    references: Sequence[str] = (),
    automatic: bool = False,
    message_id: str | None = None,
) -> OutboundMail:
    """Write the mail into the outbox within the caller's transaction; sent after commit."""
    for address in to:
        _clean(address, "address")
    mail = OutboundMail.objects.create(
        to=list(to),
        primary_to=to[0].lower() if to else "",
        subject=_clean(subject, "subject")[:998],
        text=text,
        html=html,
        message_id=message_id or new_message_id(),
        in_reply_to=_clean(in_reply_to, "In-Reply-To"),
        references=" ".join(f"<{_clean(r, 'References')}>" for r in references),
        automatic=automatic,
        purpose=purpose,
        ticket_ref=ticket_ref,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(_kick)
    return mail


def _kick() -> None:
    # Ask the worker to send now; if this enqueue is lost, the scheduler's sweep sends anyway.
    deliver.enqueue()


def build(mail: OutboundMail) -> EmailMultiAlternatives:
    headers = {
        "Message-ID": f"<{mail.message_id}>",
        LOOP_HEADER: message_id_domain(),
    }
    if mail.in_reply_to:
        headers["In-Reply-To"] = f"<{mail.in_reply_to}>"
    if mail.references:
        headers["References"] = mail.references
    if mail.automatic:
        # RFC 3834: mark automatic answers so that other robots do not answer them.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
        headers["Precedence"] = "auto_reply"
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.text,
        from_email=formataddr(("Deskside support", settings.DESKSIDE_SUPPORT_ADDRESS)),
        to=mail.to,
        headers=headers,
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    return message


def automatic_answers_since(address: str, since: datetime) -> int:
    """How many automatic answers went (or will go) to `address` since `since` (the cap)."""
    return OutboundMail.objects.filter(
        primary_to=address.lower(), automatic=True, created_at__gte=since
    ).count()


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 4 * 3600))


def deliver_due(now: datetime | None = None, limit: int = 100) -> int:
    """Send the queued mails whose time has come; returns how many went out."""
    now = now or timezone.now()
    due = list(
        OutboundMail.objects.filter(status=OutboundStatus.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")[:limit]
    )
    if not due:
        return 0
    connection = get_connection(fail_silently=False)
    try:
        return sum(_send_one(connection, mail) for mail in due)
    finally:
        connection.close()


def _send_one(connection: BaseEmailBackend, mail: OutboundMail) -> int:
    # Claim the row first: a second worker that read the same row skips it.
    claimed = OutboundMail.objects.filter(
        pk=mail.pk, status=OutboundStatus.QUEUED, attempts=mail.attempts
    ).update(attempts=mail.attempts + 1, next_attempt_at=timezone.now() + backoff(mail.attempts + 1))
    if not claimed:
        return 0
    mail.attempts += 1
    try:
        connection.send_messages([build(mail)])
    except Exception as error:  # any SMTP or network failure: retry later
        status = OutboundStatus.FAILED if mail.attempts >= MAX_ATTEMPTS else OutboundStatus.QUEUED
        OutboundMail.objects.filter(pk=mail.pk).update(status=status, last_error=str(error)[:2000])
        log.warning("outbox: %s not sent (attempt %d): %s", mail.message_id, mail.attempts, error)
        return 0
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return 1


@task()
def deliver() -> int:
    return deliver_due()
