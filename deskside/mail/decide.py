"""Decide what an incoming mail is and act on it through the ticket actions (DESIGN.md §1, §3).

In order: unreadable → quarantine; our own mail → ignored; a bounce → a note on the ticket of
the original mail; a reply → its ticket, only from a sender that ticket knows (else held in
quarantine); an out-of-office that threads nowhere → ignored; anything else is a new mail and
opens a ticket at the severity in its subject, or a closed one that explains the protocol.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from deskside.accounts.models import Contact, Language
from deskside.core.severity import Result as Reading
from deskside.core.severity import SeverityReading, read_severity
from deskside.mail import answers
from deskside.mail.classify import Classification, Kind, classify, is_our_own
from deskside.mail.intake import Result
from deskside.mail.language import detect
from deskside.mail.models import InboundMail, Outcome
from deskside.mail.parse import MailRejected, ParsedMail, parse
from deskside.outbox.send import LOOP_HEADER, automatic_answers_since, message_id_domain
from deskside.tickets import actions
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    Message,
    MessageKind,
    Status,
    Ticket,
)

LANGUAGES = set(Language.values)


def handle(inbound: InboundMail, raw: bytes) -> Result:
    try:
        mail = parse(raw)
    except MailRejected as rejected:
        return _quarantine(inbound, rejected.reason)
    inbound.subject, inbound.from_address = mail.subject[:998], mail.from_address[:998]
    if is_our_own(mail, support_addresses=[settings.DESKSIDE_SUPPORT_ADDRESS],
                  message_id_domain=message_id_domain(), loop_header=LOOP_HEADER):
        return Result(mail.message_id, Outcome.IGNORED, reason="our own mail came back")
    kind = classify(mail, envelope_sender=envelope_sender(inbound))
    if kind.kind == Kind.BOUNCE:
        return _bounce(inbound, mail)
    ticket = find_ticket(mail)
    if ticket is not None:
        return _reply(inbound, mail, ticket, kind)
    if kind.kind == Kind.AUTO_REPLY:
        return Result(mail.message_id, Outcome.IGNORED, reason="automatic reply to no ticket")
    if not mail.from_address:
        return _quarantine(inbound, "the mail has no sender address")
    return _new_ticket(inbound, mail, kind)


def envelope_sender(inbound: InboundMail) -> str | None:
    """The SMTP envelope sender: None when the door did not know it, "" for `MAIL FROM:<>`
    (stored as "<>"), which marks a bounce or an automatic mail (RFC 3834)."""
    stored = inbound.envelope_sender
    if not stored:
        return None
    return "" if stored == "<>" else stored


def _quarantine(inbound: InboundMail, reason: str) -> Result:
    return Result(inbound.message_id or None, Outcome.QUARANTINED, reason=reason)


# -- threading -------------------------------------------------------------------------------


def find_ticket(mail: ParsedMail) -> Ticket | None:
    """Our reference in the subject, else one of our Message-IDs in In-Reply-To/References."""
    prefix = re.escape(settings.DESKSIDE_REF_PREFIX)
    for number in re.findall(rf"\[{prefix}-(\d{{1,18}})\]", mail.subject, re.IGNORECASE):
        ticket = Ticket.objects.filter(pk=int(number)).first()
        if ticket:
            return ticket
    ids = [i for i in (*mail.in_reply_to, *mail.references) if i]
    if not ids:
        return None
    known = Message.objects.filter(message_id__in=ids).select_related("ticket").first()
    return known.ticket if known else None


def known_sender(ticket: Ticket, address: str) -> Contact | None:
    """The ticket's contact, or a known contact of its organisation: never a stranger."""
    contact = Contact.objects.filter(email__iexact=address).first()
    if contact is None:
        return None
    if contact.pk == ticket.contact_id:
        return contact
    same_org = ticket.organisation_id is not None and contact.organisation_id == ticket.organisation_id
    return contact if same_org else None


# -- replies and bounces -----------------------------------------------------------------------


def _reply(inbound: InboundMail, mail: ParsedMail, ticket: Ticket, kind: Classification) -> Result:
    contact = known_sender(ticket, mail.from_address)
    if contact is None:
        return _quarantine(
            inbound, f"unverified reply to {ticket.ref} from {mail.from_address or 'no sender'}: "
            "held for an agent")
    inbound.ticket = ticket
    message = _new_message(mail, kind)
    reading = read_severity(mail.subject)
    fixes_level = (ticket.status == Status.CLOSED and reading.result == Reading.FOUND
                   and ticket.close_reason in (CloseReason.NO_SEVERITY, CloseReason.INVALID_SEVERITY))
    if fixes_level:
        actions.reopen(ticket, by=actions.Actor.client(contact), severity=reading.level,
                       reason="the client replied with a severity in the subject")
    filed = actions.receive_from_client(ticket, message, counts_as_answer=kind.kind == Kind.NORMAL)
    inbound.ticket_message = filed
    ticket.refresh_from_db()
    if fixes_level and kind.may_auto_answer:
        answers.acknowledge(ticket, contact, in_reply_to=mail.message_id)
    return Result(mail.message_id, Outcome.APPENDED, ticket.ref, ticket.severity,
                  reason="reopened with a severity" if fixes_level else None)


def _bounce(inbound: InboundMail, mail: ParsedMail) -> Result:
    report = mail.report
    original = report.original_message_id if report else None
    known = Message.objects.filter(message_id=original).select_related("ticket").first() if original else None
    failed = report.failed_recipients if report else ()
    Contact.objects.filter(email__in=[a.lower() for a in failed]).update(mail_failing_since=timezone.now())
    if known is None:
        return Result(mail.message_id, Outcome.IGNORED,
                      reason="delivery report for a mail we cannot find")
    inbound.ticket = known.ticket
    note = NewMessage(direction=Direction.SYSTEM, kind=MessageKind.BOUNCE, sender=mail.from_address,
                      subject=mail.subject, text=mail.text, message_id=mail.message_id or "")
    inbound.ticket_message = actions.add_system_message(known.ticket, note)
    return Result(mail.message_id, Outcome.APPENDED, known.ticket.ref, known.ticket.severity,
                  reason=f"delivery failed for {', '.join(failed) or 'a recipient'}")


# -- new mail --------------------------------------------------------------------------------


def _new_message(mail: ParsedMail, kind: Classification) -> NewMessage:
    auto = kind.kind == Kind.AUTO_REPLY
    return NewMessage(
        direction=Direction.SYSTEM if auto else Direction.INBOUND,
        kind=MessageKind.AUTO_REPLY if auto else MessageKind.MAIL,
        sender=mail.from_address, subject=mail.subject, text=mail.text,
        visible_text=mail.visible_text, html=mail.html or "", message_id=mail.message_id or "",
        in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else "",
        files=tuple(NewFile(a.filename, a.content_type, a.payload, a.content_id or "")
                    for a in mail.attachments),
    )


def _contact(mail: ParsedMail) -> Contact:
    contact = Contact.objects.filter(email__iexact=mail.from_address).first()
    if contact:
        return contact
    return Contact.objects.create(email=mail.from_address, name=mail.from_name[:200],
                                  language=_language(mail))


def _language(mail: ParsedMail) -> str:
    """The mail's Content-Language, else the language of its text, else English."""
    tag = (mail.content_language or "").split("-")[0].lower()
    if tag in LANGUAGES:
        return tag
    return detect(mail.visible_text or mail.text) or Language.EN


def _new_ticket(inbound: InboundMail, mail: ParsedMail, kind: Classification) -> Result:
    contact = _contact(mail)
    reading = read_severity(mail.subject)
    problem = {Reading.FOUND: None, Reading.MISSING: CloseReason.NO_SEVERITY}.get(
        reading.result, CloseReason.INVALID_SEVERITY)
    ticket = actions.open_ticket(
        contact=contact, subject=mail.subject or "(no subject)", claimed_severity=reading.level,
        received_at=inbound.received_at, message=_new_message(mail, kind), problem=problem,
    )
    inbound.ticket = ticket
    inbound.ticket_message = ticket.messages.first()
    answered = kind.may_auto_answer and _under_cap(contact)
    if answered:
        if problem is None:
            answers.acknowledge(ticket, contact, in_reply_to=mail.message_id)
        else:
            answers.explain_protocol(ticket, contact, reading, in_reply_to=mail.message_id)
    reason = None if problem is None else _problem_words(reading)
    if not answered:
        reason = "; ".join(filter(None, [reason, kind.reason or "automatic answers capped"]))
    return Result(mail.message_id, Outcome.CREATED if problem is None else Outcome.REJECTED,
                  ticket.ref, ticket.severity, reason)


def _problem_words(reading: SeverityReading) -> str:
    if reading.result == Reading.MISSING:
        return "no severity in the subject"
    numbers = ", ".join(str(n) for n in reading.levels)
    if reading.result == Reading.AMBIGUOUS:
        return f"ambiguous severity in the subject ({numbers})"
    return f"invalid severity in the subject ({numbers}); levels are 1 to 4"


AUTO_ANSWER_CAP = 5
AUTO_ANSWER_WINDOW = timedelta(hours=1)


def _under_cap(contact: Contact) -> bool:
    return automatic_answers_since(contact.email, timezone.now() - AUTO_ANSWER_WINDOW) < AUTO_ANSWER_CAP
