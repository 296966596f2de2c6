"""When mail is held for review: who is told, and what its sender hears.

A mail is held (InboundStatus.QUARANTINED) when the intake will not file it on its own: a reply
from a sender its ticket does not know, a mail it cannot read, one without a usable sender, an
internal error. In the transaction that holds it (deskside/mail/intake.py), the first time:

- **Staff are told** (NotificationKind.HELD_MAIL, a bell item and a mail as each chose): the
  agent who has the ticket the mail claims, else the agents on duty. The notice leads to the
  mail's page in the desk. No flood: a person who still has an unread held-mail notice from the
  last hour (TELL_AGAIN_AFTER) gets no new item and no new mail; that notice is rewritten to say
  how many mails wait, and leads to the Held mail list instead.
- **The sender is answered** that the mail waits for review, in their language (the contact's,
  else the mail's own, as for a new mail), once: never when the mail is automatic (an
  out-of-office, a bounce, a list, our own mail), unreadable or from an ambiguous sender (which
  address would be answered?), at most once a day per address
  (ANSWER_AGAIN_AFTER), and within the caps of automatic answers an address and its domain get
  in an hour (decide.AUTO_ANSWER_CAP, floods.AUTO_ANSWERS_PER_DOMAIN). The answer names no
  ticket: its sender is not verified.

A mail held again after a retry tells nobody: whoever retried it sees the outcome.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from deskside.accounts import addresses
from deskside.accounts.addresses import address_key
from deskside.mail import decide, floods, rawstore, received, threads
from deskside.mail.classify import classify, is_our_own
from deskside.mail.models import InboundMail, InboundStatus
from deskside.mail.parse import MailRejected, ParsedMail, parse
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import LOOP_HEADER, message_id_domain, queue
from deskside.tickets import duty, notices, notify
from deskside.tickets.models import Notification, NotificationKind, Ticket
from deskside.tickets.webhook_events import ticket_data
from deskside.webhooks.emit import emit
from deskside.webhooks.models import Kind

log = logging.getLogger("deskside.mail")

ANSWER_PURPOSE = "held_for_review"
TELL_AGAIN_AFTER = timedelta(hours=1)
ANSWER_AGAIN_AFTER = timedelta(days=1)
_TEXT_KEPT = 3000  # of a rewritten notice's earlier text


def waiting() -> int:
    """How many mails wait for review: one count on the (status, id) index."""
    return InboundMail.objects.filter(status=InboundStatus.QUARANTINED).count()


def read(inbound: InboundMail) -> ParsedMail:
    """The held mail as the intake reads it (sanitised HTML, text, files); MailRejected when it
    cannot be read."""
    return received.without_nul(parse(rawstore.load(inbound.raw_sha256)))


def read_or_why(inbound: InboundMail) -> tuple[ParsedMail | None, str]:
    """The held mail as the intake reads it, or None and why it cannot be read."""
    try:
        return read(inbound), ""
    except MailRejected as rejected:
        return None, rejected.reason


def why(inbound: InboundMail) -> str:
    """Why the mail is held: the first line of its story (later lines say who did what)."""
    return inbound.reason.strip().splitlines()[0] if inbound.reason.strip() else ""


def claimed(inbound: InboundMail, mail: ParsedMail | None) -> Ticket | None:
    """The ticket the held mail claims, as the intake recorded it; for a mail held before it
    recorded that (migration mail 0004), as threading reads the mail now."""
    if inbound.claimed_ticket_id is not None:
        return inbound.claimed_ticket
    return threads.find_ticket(mail) if mail is not None else None


def page(inbound: InboundMail) -> str:
    return reverse("desk:held_mail", args=[inbound.pk])


def announce(inbound: InboundMail, raw: bytes, *, unreadable: bool = False) -> None:
    """Tell staff and answer the sender of a mail just held (see the module's docstring).
    In the caller's transaction, which holds the mail. A mail the intake found `unreadable` is
    not read again: a pathological one costs its reading time once."""
    mail = None if unreadable else _readable(raw)
    _tell_staff(inbound, inbound.claimed_ticket)
    emit(Kind.MAIL_HELD, lambda: _held_data(inbound))
    if mail is not None:
        _answer_sender(inbound, mail)


def _held_data(inbound: InboundMail) -> dict[str, object]:
    """The webhook's payload (docs/api.md, Webhooks): who sent what, why it is held, and the
    ticket it claims. Its text is not sent: the sender is not verified."""
    ticket = inbound.claimed_ticket
    return {
        "mail": {
            "id": inbound.pk,
            "from": inbound.from_address,
            "subject": inbound.subject,
            "received_at": inbound.received_at,
            "why": why(inbound),
            "url": f"{settings.DESKSIDE_BASE_URL}{page(inbound)}",
        },
        "ticket": ticket_data(ticket) if ticket is not None else None,
    }


def _readable(raw: bytes) -> ParsedMail | None:
    try:
        return received.without_nul(parse(raw))
    except MailRejected:
        return None
    except Exception:  # the mail may be what broke processing: staff are told all the same
        log.exception("a held mail could not be read to answer its sender")
        return None


# -- staff --------------------------------------------------------------------------------------


def _tell_staff(inbound: InboundMail, ticket: Ticket | None) -> None:
    people: list[notify.Someone] = (
        duty.assignee_or_duty(ticket) if ticket else list(duty.on_duty()[0])
    )
    if not people:
        return
    sender = inbound.from_address or "an unknown sender"
    already = notify.unread_recent(
        people, NotificationKind.HELD_MAIL, since=timezone.now() - TELL_AGAIN_AFTER
    )
    if already:
        _rewrite(list(already.values()), inbound, sender)
    claims = f"[{ticket.ref}] " if ticket else ""
    notify.tell(
        [p for p in people if (p if isinstance(p, int) else p.pk) not in already],
        NotificationKind.HELD_MAIL,
        title=f"{claims}Mail from {sender} is held for review",
        text=_staff_text(inbound, sender, ticket),
        path=page(inbound),
    )


def _staff_text(inbound: InboundMail, sender: str, ticket: Ticket | None) -> str:
    received = notices.long_date(inbound.received_at, "en")
    lines = [
        f"Mail from {sender}, received {received}, is held for review.",
        f"Subject: {inbound.subject or '(none)'}",
        f"Why: {why(inbound)}",
    ]
    if ticket is not None:
        lines.append(f"It claims {ticket.ref}: {ticket.subject}")
    lines += [
        "",
        "In the desk: add the sender to the ticket's organisation and attach the mail, attach "
        "it as an internal note, open it as a new ticket, or discard it.",
    ]
    return "\n".join(lines)


def _rewrite(unread: list[Notification], inbound: InboundMail, sender: str) -> None:
    """One notice for a burst: it says how many wait and leads to the list."""
    count = waiting()
    title = (
        f"{count} held mails wait for review (the newest from {sender})"
        if count != 1
        else f"1 held mail waits for review (from {sender})"
    )
    newest = f"Also held: mail from {sender}: {inbound.subject or '(no subject)'} ({why(inbound)})"
    for notification in unread:
        notify.rewrite(
            notification,
            title=title,
            text=f"{newest}\n\n{notification.text[:_TEXT_KEPT]}",
            path=reverse("desk:held"),
        )


# -- the sender ---------------------------------------------------------------------------------


def _answer_sender(inbound: InboundMail, mail: ParsedMail) -> None:
    address = mail.from_address
    if not _may_answer(inbound, mail):
        return
    contact = addresses.contact_by_address(address)
    language = contact.language if contact else received.language_of(mail)
    context = {
        "subject": mail.subject or "—",
        "received": notices.long_date(inbound.received_at, language),
    }
    subject = render_to_string(f"mail/held_subject.{language}.txt", context)
    queue(
        to=[address],
        # Whitespace collapsed: a line break decoded from the sender's subject never reaches
        # a header.
        subject=" ".join(subject.split()),
        text=render_to_string(f"mail/held.{language}.txt", context),
        purpose=ANSWER_PURPOSE,
        in_reply_to=mail.message_id or "",
        references=[mail.message_id] if mail.message_id else [],
        automatic=True,
    )


def _may_answer(inbound: InboundMail, mail: ParsedMail) -> bool:
    address = mail.from_address
    if not address or len(address) > received.MAX_ADDRESS_LENGTH or "@" not in address:
        return False
    if mail.sender_problem:  # which address would be answered? The forger chose the first
        return False
    if received.forged(inbound):  # the answer would go to whoever was forged
        return False
    if any(c.isspace() for c in address):
        return False
    ours = is_our_own(
        mail,
        support_addresses=[settings.DESKSIDE_SUPPORT_ADDRESS],
        message_id_domain=message_id_domain(),
        loop_header=LOOP_HEADER,
    )
    if (
        ours
        or not classify(mail, envelope_sender=received.envelope_sender(inbound)).may_auto_answer
    ):
        return False
    now = timezone.now()
    if (
        OutboundMail.objects.automatic_to(address, now - decide.AUTO_ANSWER_WINDOW)
        >= decide.AUTO_ANSWER_CAP
    ):
        return False
    if floods.domain_capped(address):
        return False
    return not OutboundMail.objects.filter(
        primary_to=address_key(address),
        purpose=ANSWER_PURPOSE,
        created_at__gte=now - ANSWER_AGAIN_AFTER,
    ).exists()


def answer_to(inbound: InboundMail) -> OutboundMail | None:
    """The answer its sender got about this mail, if any (for the desk): the one in reply to
    its Message-ID, or for a mail without one, the one queued while it was held."""
    answers = OutboundMail.objects.filter(
        primary_to=address_key(inbound.from_address), purpose=ANSWER_PURPOSE
    )
    if inbound.message_id:
        return answers.filter(in_reply_to=inbound.message_id).first()
    held_at = inbound.processed_at or inbound.stored_at
    return answers.filter(
        in_reply_to="", created_at__range=(inbound.stored_at, held_at + timedelta(minutes=5))
    ).first()
