"""Delivery reports: a mail of ours that came back is noted on its ticket, and the addresses
that failed are marked on their contacts."""

from __future__ import annotations

import re

from deskside.accounts.actions import mark_mail_failing
from deskside.mail.models import InboundMail, Outcome
from deskside.mail.parse import ParsedMail
from deskside.mail.results import Result
from deskside.outbox.send import message_id_domain
from deskside.tickets import actions, notices
from deskside.tickets.actions import NewMessage
from deskside.tickets.models import Direction, Message, MessageKind


def file_bounce(inbound: InboundMail, mail: ParsedMail) -> Result:
    # Only a report about a mail we really sent (its random Message-ID) counts: anyone can
    # write a delivery report, and a forged one must not mark addresses as failing.
    known = bounced_message(mail)
    if known is None:
        return Result(
            mail.message_id, Outcome.IGNORED, reason="delivery report for a mail we cannot find"
        )
    report = mail.report
    failed = report.failed_recipients if report else _failed_recipients_header(mail)
    action = (report.action if report else None) or "failed"
    if action == "failed":  # a delay or a success report says nothing against the address
        mark_mail_failing(failed)
    inbound.ticket = known.ticket
    note = NewMessage(
        direction=Direction.SYSTEM,
        kind=MessageKind.BOUNCE,
        sender=mail.from_address,
        subject=mail.subject,
        text=mail.text,
        message_id=mail.message_id or "",
    )
    filed = actions.add_system_message(known.ticket, note, by=actions.SYSTEM).posted
    inbound.ticket_message = filed
    if action == "failed":
        notices.delivery_failed(known.ticket, filed, failed=failed)
    return Result(
        mail.message_id,
        Outcome.APPENDED,
        known.ticket.ref,
        known.ticket.severity,
        reason=f"delivery {action} for {', '.join(failed) or 'a recipient'}",
    )


def bounced_message(mail: ParsedMail) -> Message | None:
    """Our message that came back: named by the report, else (a bounce that is no RFC 3464
    report, as qmail and some Exim setups send) by its threading headers or by one of our
    Message-IDs quoted in its text."""
    report = mail.report
    candidates = [report.original_message_id] if report and report.original_message_id else []
    if not candidates:
        domain = re.escape(message_id_domain())
        quoted = re.findall(rf"<([^<>\s]{{1,900}}@{domain})>", mail.text[:100_000], re.IGNORECASE)
        candidates = [*mail.in_reply_to, *mail.references, *quoted]
    if not candidates:
        return None
    return (
        Message.objects.filter(message_id__in=candidates[:50])
        .select_related("ticket")
        .order_by("-id")
        .first()
    )


def _failed_recipients_header(mail: ParsedMail) -> tuple[str, ...]:
    header = mail.headers.get("x-failed-recipients", "")
    return tuple(a.strip().strip("<>") for a in header.split(",") if a.strip())
