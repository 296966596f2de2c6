"""Queue and send outbound mail.

`queue()` only writes a row, inside the caller's transaction. `deliver_due()` (a worker task,
started after commit and by the scheduler) sends what is due; a failure schedules the next
attempt with exponential back-off, so an SMTP outage delays mail but loses none.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage, MIMEPart
from email.policy import EmailPolicy, Policy
from email.policy import default as default_policy
from email.utils import formataddr
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.tasks import task
from django.utils import timezone

from deskside import db
from deskside.accounts.addresses import address_key
from deskside.accounts.models import Contact
from deskside.core.limits import HEADER_LINE
from deskside.db import AsciiLower
from deskside.kick import kick
from deskside.oncommit import once_after_commit
from deskside.outbox.models import CalendarMethod, OutboundMail, OutboundStatus

log = logging.getLogger("deskside.outbox")
MAX_ATTEMPTS = 12  # about 17 hours of back-off in total, then a lead must look
LOOP_HEADER = "X-Deskside-Loop"
# Without a timeout a silent SMTP server (a firewall that drops packets) would hang the worker.
DEFAULT_SMTP_TIMEOUT = 30
# Everything str.splitlines() breaks on: the email package refuses such a header at send time,
# and some mail software treats them as line ends, so they are refused when the mail is queued.
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")


class HeaderInjection(ValueError):
    """A subject, name or address with a line break: refused, never sent."""


# Layers of encoded words a header value may carry and still be read (see _as_read): each layer
# is shorter than the one it was encoded from, so a value cannot hold many.
_LAYERS = 8
_LINE_END = re.compile(r"\r\n|\r|\n")
# Characters no written header may hold: a NUL, and line ends some mail software also obeys.
_NEVER_WRITTEN = re.compile(r"[\x00\x0b\x0c\x1c-\x1e]")


class WritingPolicy(EmailPolicy):
    """policy.default that checks every header it writes, as Python 3.12.5 and later do with
    `verify_generated_headers`: a field comes out as one line, or folded lines that each start
    with white space. Before that release the email package decodes an encoded word it finds in
    a header value and writes a decoded CR or LF as it is, which splits the header in two
    (CVE-2024-6923); the values are cleaned when a mail is queued, and this is the last check."""

    def fold(self, name: str, value: str) -> str:
        return self._whole(name, super().fold(name, value))

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = super().fold_binary(name, value)
        self._whole(name, folded.decode("ascii", "surrogateescape"))
        return folded

    def _whole(self, name: str, folded: str) -> str:
        """RFC 5322 §2.2.3: folding puts white space after every line end but the last."""
        lines = _LINE_END.split(folded.removesuffix(self.linesep))
        if _NEVER_WRITTEN.search(folded) or any(
            not line.startswith((" ", "\t")) for line in lines[1:]
        ):
            raise HeaderInjection(f"the {name} header would not be written whole: {folded!r}")
        return folded


WRITING_POLICY = WritingPolicy()


def message_id_domain() -> str:
    return settings.DESKSIDE_SUPPORT_ADDRESS.rpartition("@")[2]


def new_message_id() -> str:
    return f"{secrets.token_hex(12)}@{message_id_domain()}"


def _clean(value: str, what: str) -> str:
    if not _LINE_BREAKS.isdisjoint(value):
        raise HeaderInjection(f"{what} contains a line break: {value!r}")
    return value


def _spaced(value: str) -> str:
    """Every line break a space, and runs of white space one space."""
    return " ".join("".join(" " if ch in _LINE_BREAKS else ch for ch in value).split())


def _as_read(name: str, value: str) -> str:
    """The header value as the email package reads it when a mail is built: with its encoded
    words (RFC 2047) decoded. Only "=?" starts one, so other values are read as written."""
    return str(default_policy.header_factory(name, value)) if "=?" in value else value


def _one_line(subject: str) -> str:
    """The subject, so that the email package writes one line of it. A subject quoting a client's
    text may carry an encoded word that decodes to a line break (a client can encode it twice:
    the intake decodes one layer). Such a subject is decoded here as the email package would,
    its line breaks made spaces: the reader sees the words the client wrote, on one line."""
    for _ in range(_LAYERS):
        read = _as_read("subject", subject)
        if _LINE_BREAKS.isdisjoint(read):
            return subject
        subject = _spaced(read)
    return _unencoded(subject)


def _unencoded(value: str) -> str:
    """`value` with no encoded word left to decode, for one that holds more layers than anyone
    would write: a space after every "=" that opens one."""
    return value.replace("=?", "= ?")


def _thread_id(message_id: str) -> str:
    """A Message-ID to thread under, or "" for one the email package would read as another (an
    encoded word in it): threading is a help, and such an id is not one a mailer made."""
    message_id = _clean(message_id, "Message-ID")
    return message_id if _as_read("in-reply-to", f"<{message_id}>") == f"<{message_id}>" else ""


def _unwritable(addresses: Sequence[str]) -> str:
    """Why the mail cannot go to `addresses` as they are written, or "". RFC 2047 allows no
    encoded word in an address, but the email package decodes one in a local part: the mail
    would go to another address, or its To field would break in two."""
    for address in addresses:
        _clean(address, "address")
        if "=?" not in address:
            continue
        read = _as_read("subject", address)
        what = "decodes to a line break" if not _LINE_BREAKS.isdisjoint(read) else "is encoded"
        return f"not sent: the address {address!r} {what} (RFC 2047 allows no encoded word there)"
    return ""


# The folder of the data directory that mail may carry files from (the tickets' attachments).
FILES_FOLDER = "attachments"


class Attached(NamedTuple):
    """A file that goes out with a mail. It is read from the data directory when the mail is
    built, so the outbox row stays small and a retry sends the same bytes."""

    filename: str
    content_type: str
    path: str  # relative to settings.DATA_DIR


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
    calendar: bytes | str = "",
    calendar_method: CalendarMethod | str = "",
    attachments: Sequence[Attached] = (),
) -> OutboundMail:
    """Write the mail into the outbox within the caller's transaction; sent after commit.

    `calendar` is an iCalendar invitation (RFC 5545) with its iTIP `calendar_method`: it goes
    out both as a text/calendar alternative and as an `invite.ics` attachment."""
    if isinstance(calendar, bytes):
        calendar = calendar.decode("utf-8")
    if calendar and calendar_method not in CalendarMethod.values:
        raise ValueError(f"An invitation needs its method: one of {CalendarMethod.values}.")
    refused = _unwritable(to)
    subject = _one_line(_clean(subject, "subject"))
    in_reply_to = _thread_id(in_reply_to) if in_reply_to else ""
    references = [r for r in map(_thread_id, references) if r]
    mail = OutboundMail(
        to=list(to),
        primary_to=address_key(to[0]) if to else "",
        primary_domain=address_key(to[0]).rpartition("@")[2] if to else "",
        subject=subject[:HEADER_LINE],
        text=text,
        html=html,
        message_id=message_id or new_message_id(),
        in_reply_to=in_reply_to,
        references=" ".join(f"<{r}>" for r in references),
        automatic=automatic,
        purpose=purpose,
        ticket_ref=ticket_ref,
        calendar=calendar,
        calendar_method=calendar_method if calendar else "",
        attachments=[list(attached) for attached in attachments],
        next_attempt_at=timezone.now(),
        # Kept, with why, for whoever looks in the outbox; never tried.
        status=OutboundStatus.FAILED if refused else OutboundStatus.QUEUED,
        last_error=refused,
    )
    db.insert(mail)
    if not refused:
        once_after_commit(_kick)
    return mail


def _kick() -> None:
    # Ask the worker to send now (a run already waiting will); if this is lost, the scheduler's
    # sweep sends anyway.
    kick(deliver)


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
    message = InvitationMail(
        subject=mail.subject,
        body=mail.text,
        from_email=formataddr(("Deskside support", settings.DESKSIDE_SUPPORT_ADDRESS)),
        to=mail.to,
        headers=headers,
    )
    if mail.html:
        message.attach_alternative(mail.html, "text/html")
    if mail.calendar:
        message.attach_invitation(mail.calendar, CalendarMethod(mail.calendar_method))
    for row in mail.attachments:
        message.attach(_file_part(Attached(*row)))
    return message


# type/subtype as RFC 2045 tokens; anything else (a browser's odd value) goes as a plain file.
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


def _file_part(attached: Attached) -> MIMEPart:
    """The file as an attachment: its bytes exactly (base64, text files too, so no line end
    changes), under a type a mail can carry, read from the data directory's attachments only."""
    folder = (Path(settings.DATA_DIR) / FILES_FOLDER).resolve()
    path = (Path(settings.DATA_DIR) / attached.path).resolve()
    if not path.is_relative_to(folder):
        raise ValueError(f"an attachment must lie in {folder}, not {attached.path!r}")
    kind = attached.content_type.lower()
    if not _MIME_TYPE.fullmatch(kind) or kind.split("/")[0] in ("multipart", "message"):
        kind = "application/octet-stream"
    payload, filename = path.read_bytes(), _spaced(attached.filename) or "attachment"
    for _ in range(_LAYERS):
        part = _attachment(payload, kind, filename)
        # The email package decodes an encoded word in the name as it sets it (see _one_line).
        if _LINE_BREAKS.isdisjoint(str(part["Content-Disposition"])):
            return part
        filename = _spaced(part.get_filename() or "") or "attachment"
    return _attachment(payload, kind, _unencoded(filename))


def _attachment(payload: bytes, kind: str, filename: str) -> MIMEPart:
    maintype, subtype = kind.split("/")
    part = MIMEPart(policy=default_policy)
    part.set_content(
        payload, maintype=maintype, subtype=subtype, disposition="attachment", filename=filename
    )
    return part


class InvitationMail(EmailMultiAlternatives):
    """A mail that may carry a calendar invitation the way calendar programs accept it.

    Outlook and Gmail act on a `text/calendar; method=...` alternative of the body; others
    (and people) use an attached `.ics` file. Django's `attach_alternative(content, mimetype)`
    cannot give the part its `method` parameter, so it is set on the built message."""

    calendar_method: CalendarMethod | None = None

    def attach_invitation(self, ics: str, method: CalendarMethod) -> None:
        self.calendar_method = method
        self.attach_alternative(ics, "text/calendar")
        attachment = MIMEPart(policy=default_policy)
        attachment.set_content(
            ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            disposition="attachment",
            filename="invite.ics",
        )
        self.attach(attachment)

    def message(self, *, policy: Policy | None = None) -> EmailMessage:
        # Whatever policy the backend asks for (the SMTP backend: CRLF line ends), headers are
        # written with the check of WritingPolicy.
        linesep = policy.linesep if policy is not None else WRITING_POLICY.linesep
        msg: EmailMessage = super().message(policy=WRITING_POLICY.clone(linesep=linesep))
        if self.calendar_method is not None:
            for part in msg.walk():
                if part.get_content_type() == "text/calendar":
                    part.set_param("method", self.calendar_method.value)
        return msg


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 4 * 3600))


BATCH = 100  # mails a run sends at most: each run ends in seconds (runtime/scheduler.py)


def deliver_due(now: datetime | None = None, limit: int = BATCH) -> int:
    """Send the queued mails whose time has come; returns how many went out.

    Every claimed mail ends this call sent or with a failed attempt recorded: no SMTP or network
    error escapes, so the worker lives on and the back-off decides when to try again."""
    now = now or timezone.now()
    due = list(
        OutboundMail.objects.filter(
            status=OutboundStatus.QUEUED, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")[:limit]
    )
    due = _without_failing(due)
    if not due:
        return 0
    connection = get_connection(fail_silently=False, timeout=_timeout())
    sent = 0
    try:
        for index, mail in enumerate(due):
            if not _claim(mail):
                continue
            try:
                connection.open()
            except Exception as error:
                # The server cannot be reached: each remaining mail counts one failed attempt
                # now, instead of every mail waiting out its own connect timeout.
                _failed(mail, error)
                for rest in due[index + 1 :]:
                    if _claim(rest):
                        _failed(rest, error)
                break
            sent += _send_claimed(connection, mail)
    finally:
        _close_quietly(connection)
    return sent


def _without_failing(due: list[OutboundMail]) -> list[OutboundMail]:
    """`due` without the automatic mails to a contact whose mail bounces (Contact.
    mail_failing_since, set by a bounce): those are marked SUPPRESSED and never sent, so that an
    address that bounced stops getting acknowledgements, reminders and notices (the desk shows
    the mark; an agent's own reply still goes). One query for the whole batch."""
    automatic = {m.primary_to for m in due if m.automatic and m.primary_to}
    if not automatic:
        return due
    failing = {
        address_key(address)
        for address in Contact.objects.alias(key=AsciiLower("email"))
        .filter(key__in=sorted(automatic), mail_failing_since__isnull=False)
        .values_list("email", flat=True)
    }
    stopped = [m for m in due if m.automatic and m.primary_to in failing]
    for mail in stopped:
        OutboundMail.objects.filter(pk=mail.pk, status=OutboundStatus.QUEUED).update(
            status=OutboundStatus.SUPPRESSED,
            last_error=f"not sent: mail to {mail.primary_to} bounces (automatic mail is held back)",
        )
    return [m for m in due if m not in stopped]


def _timeout() -> int:
    return int(getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_SMTP_TIMEOUT)


def _claim(mail: OutboundMail) -> bool:
    """Count the attempt before trying: a second worker that read the same row skips it, and a
    worker killed mid-send leaves the row to be retried after the back-off."""
    attempt = mail.attempts + 1
    claimed = OutboundMail.objects.filter(
        pk=mail.pk, status=OutboundStatus.QUEUED, attempts=mail.attempts
    ).update(attempts=attempt, next_attempt_at=timezone.now() + backoff(attempt))
    if claimed:
        mail.attempts = attempt
    return bool(claimed)


def _send_claimed(connection: BaseEmailBackend, mail: OutboundMail) -> int:
    try:
        connection.send_messages([build(mail)])
    except Exception as error:  # any SMTP, network or header failure: retry later
        _failed(mail, error)
        # The connection may be half dead (a disconnect mid-dialogue): the next mail opens anew.
        _close_quietly(connection)
        return 0
    OutboundMail.objects.filter(pk=mail.pk).update(
        status=OutboundStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    return 1


def _failed(mail: OutboundMail, error: Exception) -> None:
    status = OutboundStatus.FAILED if mail.attempts >= MAX_ATTEMPTS else OutboundStatus.QUEUED
    reason = f"{type(error).__name__}: {error}"[:2000]
    OutboundMail.objects.filter(pk=mail.pk).update(status=status, last_error=reason)
    log.warning("outbox: %s not sent (attempt %d): %s", mail.message_id, mail.attempts, reason)


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except Exception as error:  # closing a dead connection may fail too; nothing to save
        log.info("outbox: closing the mail connection failed: %s", error)


@task()
def deliver() -> int:
    sent = deliver_due(limit=BATCH)
    if sent >= BATCH:
        # More may be due, whose kicks found this run waiting (deskside/kick.py): another run
        # sends them now rather than at the scheduler's next sweep.
        kick(deliver)
    return sent
