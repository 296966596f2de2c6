"""Decide what an incoming mail is and act on it through the ticket actions (docs/protocol.md,
Severity in the subject; Replies and threading).

In order: unreadable → quarantine; our own mail → ignored when we provably sent it, else held;
a bounce → a note on the ticket of the original mail; a read receipt → ignored, an abuse report
→ held; a From that reads two ways → held; a reply → its ticket, only from a sender that ticket
knows and, in a known contact's name, that did not fail DMARC (else held in quarantine); an
out-of-office that threads nowhere → ignored; anything else is a new mail and opens a ticket at
the severity in its subject, or a closed one that explains the protocol.

Beside it: received.py reads the mail before any decision, threads.py finds its ticket, and
bounces.py files a delivery report.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside import db
from deskside.accounts import addresses
from deskside.accounts.models import Contact
from deskside.core.errors import ErrorCode
from deskside.core.limits import HEADER_LINE
from deskside.core.severity import Result as Reading
from deskside.core.severity import SeverityReading, read_severity, strip_reply_prefixes
from deskside.mail import answers, authresults, bounces, floods, received, threads
from deskside.mail.classify import Classification, Kind, classify, looks_like_ours
from deskside.mail.models import InboundMail, Outcome
from deskside.mail.parse import MailRejected, ParsedMail, parse
from deskside.mail.results import Result
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import LOOP_HEADER, message_id_domain
from deskside.tickets import actions, closed
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import (
    CloseReason,
    Direction,
    MessageKind,
    Status,
    Ticket,
)


def handle(inbound: InboundMail, raw: bytes, *, vouched: bool = False) -> Result:
    """What the mail is, acted on. `vouched`: a person vouched for its sender (an agent filed
    a held mail), so a failed DMARC check no longer holds it."""
    try:
        mail = parse(raw)
    except MailRejected as rejected:
        return replace(_quarantine(inbound, rejected.reason), unreadable=True)
    mail = received.without_nul(mail)
    _record(inbound, mail)
    ours = looks_like_ours(
        mail,
        support_addresses=[settings.DESKSIDE_SUPPORT_ADDRESS],
        message_id_domain=message_id_domain(),
        loop_header=LOOP_HEADER,
    )
    if ours:
        return _our_own(inbound, mail, ours)
    kind = classify(mail, envelope_sender=received.envelope_sender(inbound))
    if kind.kind == Kind.BOUNCE:
        return bounces.file_bounce(inbound, mail)
    report = _report(inbound, mail)
    if report is not None:
        return report
    ticket = inbound.claimed_ticket = threads.find_ticket(mail)
    if mail.sender_problem:
        # A From that reads two ways names nobody: matched to a contact, it would let a stranger
        # borrow a client's tickets (deskside/mail/sender.py).
        return _quarantine(
            inbound, f"ambiguous sender ({mail.sender_problem}): held, never matched to a contact"
        )
    if ticket is not None:
        return _reply(inbound, mail, ticket, kind, vouched=vouched)
    if kind.kind == Kind.AUTO_REPLY:
        return Result(mail.message_id, Outcome.IGNORED, reason="automatic reply to no ticket")
    if not mail.from_address:
        return _quarantine(inbound, "the mail has no sender address")
    if len(mail.from_address) > received.MAX_ADDRESS_LENGTH:
        return _quarantine(
            inbound, f"the sender address is longer than {received.MAX_ADDRESS_LENGTH} characters"
        )
    return _new_mail(inbound, mail, kind, vouched=vouched)


def _our_own(inbound: InboundMail, mail: ParsedMail, looks: str) -> Result:
    """Our own mail coming back is dropped only when it provably is ours: its Message-ID is one
    we sent (random, in the outbox). Anything else that merely looks like ours (a header anyone
    can write) is held for a person, so that a forged loop header cannot make a client's mail
    vanish; held, it is answered by nobody, which is what ends a loop."""
    if mail.message_id and OutboundMail.objects.filter(message_id=mail.message_id).exists():
        return Result(mail.message_id, Outcome.IGNORED, reason="our own mail came back")
    return _quarantine(
        inbound, f"looks like our own mail ({looks}), but is none we sent: held for review"
    )


def _report(inbound: InboundMail, mail: ParsedMail) -> Result | None:
    """A read receipt (RFC 8098) opens no ticket: it is kept, and nobody needs to read it. An
    abuse report (RFC 5965) opens none either: a person must read it (our mail was reported as
    spam), so it is held, claiming the ticket of the mail it reports when that is ours."""
    kind = mail.report.report_type if mail.report else ""
    if kind == "disposition-notification":
        return Result(mail.message_id, Outcome.IGNORED, reason="read receipt (RFC 8098): kept")
    if kind == "feedback-report":
        reported = bounces.bounced_message(mail)
        inbound.claimed_ticket = reported.ticket if reported else None
        return _quarantine(inbound, "abuse report (RFC 5965 feedback report): held for a person")
    return None


def _record(inbound: InboundMail, mail: ParsedMail) -> None:
    """What the mail's row shows of it: subject, sender, and what our mail server found."""
    inbound.subject, inbound.from_address = (
        mail.subject[:HEADER_LINE],
        mail.from_address[:HEADER_LINE],
    )
    verdict = authresults.read(mail.authentication_results, settings.DESKSIDE_AUTHSERV_ID)
    inbound.authentication = verdict.summary


def open_as_new_ticket(inbound: InboundMail, raw: bytes, *, by: User) -> Result:
    """A lead turns a quarantined mail into a new ticket, whatever threading said (an unverified
    reply they vouch for, a sender they know). Everything else is as for any new mail: the
    severity comes from the subject (without one the ticket is closed and the protocol
    explained), and the sender is answered automatically within the cap, unless the mail is
    itself automatic. The ticket's history says which lead made it, from which mail."""
    try:
        mail = parse(raw)
    except MailRejected as rejected:
        raise actions.ActionError(
            ErrorCode.MAIL_UNREADABLE,
            _("Mail %(mail)s cannot become a ticket: %(problem)s."),
            mail=inbound.pk,
            problem=rejected.reason,
        ) from None
    mail = received.without_nul(mail)
    if not mail.from_address or len(mail.from_address) > received.MAX_ADDRESS_LENGTH:
        raise actions.ActionError(
            ErrorCode.NO_SENDER_ADDRESS,
            _("Mail %(mail)s cannot become a ticket: it has no usable sender address."),
            mail=inbound.pk,
        )
    if mail.sender_problem:
        raise actions.ActionError(
            ErrorCode.SENDER_AMBIGUOUS,
            _(
                "Mail %(mail)s cannot become a ticket: its sender is ambiguous (%(problem)s), and "
                "a ticket needs one contact. Attach it as an internal note, or discard it."
            ),
            mail=inbound.pk,
            problem=mail.sender_problem,
        )
    _record(inbound, mail)
    kind = classify(mail, envelope_sender=received.envelope_sender(inbound))
    origin = f"made from quarantined mail {inbound.pk} ({inbound.reason.splitlines()[0][:200]})"
    return _new_ticket(inbound, mail, kind, by=actions.Actor.staff(by), note=origin)


def _quarantine(inbound: InboundMail, reason: str) -> Result:
    return Result(inbound.message_id or None, Outcome.QUARANTINED, reason=reason)


# -- replies ---------------------------------------------------------------------------------


def _reply(
    inbound: InboundMail,
    mail: ParsedMail,
    ticket: Ticket,
    kind: Classification,
    *,
    vouched: bool = False,
) -> Result:
    contact = threads.known_sender(ticket, mail.from_address)
    if contact is None:
        return _quarantine(
            inbound,
            f"unverified reply to {ticket.ref} from {mail.from_address or 'no sender'}: "
            "held for an agent",
        )
    if not vouched and received.forged(inbound):
        return _held_as_forged(inbound)
    message = _new_message(mail, kind, arrived=inbound.received_at, inbound=inbound)
    if ticket.status == Status.CLOSED and kind.kind == Kind.NORMAL:
        return _reply_to_closed(inbound, mail, ticket, contact, kind, message)
    inbound.ticket = ticket
    # Brings `ticket` up to date too (status, clocks), so it needs no reading back.
    sender = actions.Actor.sender(message.sender)
    actions.receive_from_client(
        ticket, message, by=sender, counts_as_answer=kind.kind == Kind.NORMAL
    )
    inbound.ticket_message = ticket.posted
    reason = None
    if ticket.status == Status.CLOSED:  # an automatic reply: no person needs to read it
        reason = f"kept on a closed ticket ({ticket.get_close_reason_display().lower()})"
    return Result(mail.message_id, Outcome.APPENDED, ticket.ref, ticket.severity, reason)


def _reply_to_closed(
    inbound: InboundMail,
    mail: ParsedMail,
    ticket: Ticket,
    contact: Contact,
    kind: Classification,
    message: NewMessage,
) -> Result:
    """A client's mail to a closed ticket always reaches a person (deskside/tickets/closed.py)."""
    into = closed.continues_as(ticket, contact)
    if into != ticket:
        return _to_merged_target(inbound, mail, ticket, into, contact, kind, message)
    reading = read_severity(mail.subject)
    level = reading.level if reading.result == Reading.FOUND else None
    step = closed.next_for(ticket, arrived=inbound.received_at, level=level)
    if step == closed.Next.NEW_TICKET:
        return _new_ticket(inbound, mail, kind, follows=ticket, vouched=True)  # checked above
    if step == closed.Next.EXPLAIN and not _under_cap(contact):
        return _quarantine(
            inbound,
            f"reply without a severity to {ticket.ref} (closed for want of one), and its sender "
            f"has had {AUTO_ANSWER_CAP} automatic answers this hour: held for an agent",
        )
    inbound.ticket = ticket
    if step == closed.Next.EXPLAIN:
        actions.receive_from_client(ticket, message, by=actions.Actor.sender(message.sender))
        inbound.ticket_message = ticket.posted
        answers.explain_protocol(ticket, contact, reading, in_reply_to=mail.message_id)
        reason = f"kept on {ticket.ref}, still without a severity: the protocol explained again"
        return Result(mail.message_id, Outcome.APPENDED, ticket.ref, None, reason)
    actions.reopen_by_client(ticket, message, by=actions.Actor.client(contact), level=level)
    inbound.ticket_message = ticket.posted
    if step == closed.Next.SET_LEVEL:
        if kind.may_auto_answer and _under_cap(contact):
            answers.acknowledge(ticket, contact, in_reply_to=mail.message_id)
        reason = f"reopened at severity {ticket.severity}"
    else:
        reason = "reopened: the client wrote within the reopening period"
    return Result(mail.message_id, Outcome.APPENDED, ticket.ref, ticket.severity, reason)


def _to_merged_target(
    inbound: InboundMail,
    mail: ParsedMail,
    duplicate: Ticket,
    into: Ticket,
    contact: Contact,
    kind: Classification,
    message: NewMessage,
) -> Result:
    """A reply to a duplicate merged into `into`, filed there as if written there: appended
    when `into` is open, by the rule for closed tickets when it is closed."""
    if into.status == Status.CLOSED:
        result = _reply_to_closed(inbound, mail, into, contact, kind, message)
    else:
        inbound.ticket = into
        actions.receive_from_client(into, message, by=actions.Actor.sender(message.sender))
        inbound.ticket_message = into.posted
        result = Result(mail.message_id, Outcome.APPENDED, into.ref, into.severity, None)
    merged = f"a reply to {duplicate.ref}, merged into {into.ref}"
    return replace(result, reason="; ".join(filter(None, [merged, result.reason])))


# -- new mail --------------------------------------------------------------------------------


def _held_as_forged(inbound: InboundMail) -> Result:
    """A mail in the name of a known contact that our mail server could not verify: filed, it
    would act as theirs (reopen a ticket at level 1, alert every agent). A person looks first,
    and can file it as the client's (it then carries a warning in the desk)."""
    return _quarantine(
        inbound,
        f"{received.forged(inbound)} failed ({inbound.authentication}): the sender may be forged; "
        "held for an agent",
    )


def _new_message(
    mail: ParsedMail, kind: Classification, *, arrived: datetime, inbound: InboundMail
) -> NewMessage:
    """The mail as a message of its ticket, dated when it arrived at our door."""
    auto = kind.kind == Kind.AUTO_REPLY
    return NewMessage(
        created_at=arrived,
        direction=Direction.SYSTEM if auto else Direction.INBOUND,
        kind=MessageKind.AUTO_REPLY if auto else MessageKind.MAIL,
        sender=mail.from_address,
        subject=mail.subject,
        text=mail.text,
        visible_text=mail.visible_text,
        html=mail.html or "",
        message_id=mail.message_id or "",
        in_reply_to=mail.in_reply_to[0] if mail.in_reply_to else "",
        files=tuple(
            NewFile(a.filename, a.content_type, a.payload, a.content_id or "")
            for a in mail.attachments
        ),
        authentication=inbound.authentication,
    )


def _contact(mail: ParsedMail, known: Contact | None) -> Contact:
    if known:
        return known
    new = Contact(
        email=mail.from_address, name=mail.from_name[:200], language=received.language_of(mail)
    )
    if db.insert(new, unless_conflict=True):
        return new
    # A concurrent mail from the same new sender created it first (PostgreSQL waited for that
    # transaction to commit, so the row is there to read now).
    found = addresses.contact_by_address(mail.from_address)
    if found is None:
        raise RuntimeError(f"contact {mail.from_address!r} neither created nor found")
    return found


def _new_mail(
    inbound: InboundMail, mail: ParsedMail, kind: Classification, *, vouched: bool
) -> Result:
    """A mail that claims no ticket: a repeat of the sender's ticket of the last hour (the same
    subject) joins it as a reply; anything else opens a new ticket, within the caps on floods
    (deskside/mail/floods.py)."""
    known = addresses.contact_by_address(mail.from_address)
    seen = floods.load(mail.from_address, known, inbound.received_at)
    repeat = floods.repeat_of(_subject_of_new(mail.subject, None) or NO_SUBJECT, seen)
    if repeat is None:
        return _new_ticket(inbound, mail, kind, vouched=vouched, known=known, seen=seen)
    ticket = inbound.claimed_ticket = Ticket.objects.get(pk=repeat)
    result = _reply(inbound, mail, ticket, kind, vouched=vouched)
    if result.outcome == Outcome.QUARANTINED:
        return result
    repeated = f"a repeat of {ticket.ref} (the same sender and subject within the hour)"
    return replace(result, reason="; ".join(filter(None, [repeated, result.reason])))


NO_SUBJECT = "(no subject)"


def _new_ticket(
    inbound: InboundMail,
    mail: ParsedMail,
    kind: Classification,
    by: actions.Actor = actions.SYSTEM,
    note: str = "",
    follows: Ticket | None = None,
    vouched: bool = False,
    known: Contact | None = None,
    seen: floods.Load | None = None,
) -> Result:
    """`known` and `seen`, when the caller read them: the sender's contact (None: a new sender)
    and what the last hour brought from them."""
    if seen is None:
        known = addresses.contact_by_address(mail.from_address)
    if by == actions.SYSTEM:
        seen = seen or floods.load(mail.from_address, known, inbound.received_at)
        held = _held_new(inbound, mail, known, seen, vouched=vouched)
        if held is not None:
            return held
    contact = _contact(mail, known)
    reading = read_severity(mail.subject)
    problem = {Reading.FOUND: None, Reading.MISSING: CloseReason.NO_SEVERITY}.get(
        reading.result, CloseReason.INVALID_SEVERITY
    )
    no_answer = _no_answer(inbound, kind, contact, seen)
    answerable = no_answer is None
    if problem and kind.kind == Kind.NORMAL and not answerable and by == actions.SYSTEM:
        # A person wrote it, and neither a queue nor an answer would reach anyone: a closed
        # ticket without the explanation would be read by nobody. A person decides instead.
        why = no_answer or ""
        if why == CAPPED:
            why = f"{AUTO_ANSWER_CAP} automatic answers to this sender this hour"
        return _quarantine(inbound, f"{_problem_words(reading)}, and no answer may go ({why})")
    ticket = actions.open_ticket(
        contact=contact,
        subject=_subject_of_new(mail.subject, follows) or NO_SUBJECT,
        claimed_severity=reading.level,
        received_at=inbound.received_at,
        message=_new_message(mail, kind, arrived=inbound.received_at, inbound=inbound),
        problem=problem,
        by=by,
        note=note,
        follows=follows,
    )
    inbound.ticket = ticket
    inbound.ticket_message = ticket.posted
    if contact.organisation_id is None:  # counted by the cap on new tickets per domain
        inbound.sender_domain = floods.domain_of(contact.email)
    answered = answerable
    if answered:
        if problem is None:
            answers.acknowledge(ticket, contact, in_reply_to=mail.message_id)
        else:
            answers.explain_protocol(ticket, contact, reading, in_reply_to=mail.message_id)
    reason = None if problem is None else _problem_words(reading)
    if not answered:
        reason = "; ".join(filter(None, [reason, no_answer]))
    return Result(
        mail.message_id,
        Outcome.CREATED if problem is None else Outcome.REJECTED,
        ticket.ref,
        ticket.severity,
        reason,
    )


def _subject_of_new(subject: str, follows: Ticket | None) -> str:
    """A ticket that follows a closed one drops the old reference and the reply prefixes: it
    gets a reference of its own, and "Re: [CCS-12] Re: ..." would read as the old ticket."""
    if follows is None:
        return subject
    without = re.sub(rf"\[{re.escape(follows.ref)}\]", " ", subject, flags=re.IGNORECASE)
    return " ".join(strip_reply_prefixes(" ".join(without.split())).split())


def _problem_words(reading: SeverityReading) -> str:
    if reading.result == Reading.MISSING:
        return "no severity in the subject"
    numbers = ", ".join(str(n) for n in reading.levels)
    if reading.result == Reading.AMBIGUOUS:
        return f"ambiguous severity in the subject ({numbers})"
    return f"invalid severity in the subject ({numbers}); levels are 1 to 4"


AUTO_ANSWER_CAP = 5
AUTO_ANSWER_WINDOW = timedelta(hours=1)


CAPPED = "automatic answers capped"


def _under_cap(contact: Contact) -> bool:
    return (
        OutboundMail.objects.automatic_to(contact.email, timezone.now() - AUTO_ANSWER_WINDOW)
        < AUTO_ANSWER_CAP
    )


def _held_new(
    inbound: InboundMail,
    mail: ParsedMail,
    known: Contact | None,
    seen: floods.Load,
    *,
    vouched: bool,
) -> Result | None:
    """A new mail that must wait for a person: in a known contact's name and failed DMARC, or
    past a cap on new tickets."""
    if known and not vouched and received.forged(inbound):
        return _held_as_forged(inbound)
    flood = floods.hold(mail.from_address, known, seen)
    return _quarantine(inbound, flood) if flood else None


def _no_answer(
    inbound: InboundMail, kind: Classification, contact: Contact, seen: floods.Load | None
) -> str | None:
    """Why a new mail gets no automatic answer, or None when it may get one."""
    if not kind.may_auto_answer:
        return kind.reason or "an automatic mail"
    failed = received.forged(inbound)
    if failed:  # the answer would go to whoever was forged, echoing the forger's subject
        return f"{failed} failed: no automatic answer to a sender who may be forged"
    if not _under_cap(contact):
        return CAPPED
    return floods.no_answer(contact.email, contact, seen) if seen else None
