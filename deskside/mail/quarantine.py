"""What staff do with held mail (in quarantine): file it on its ticket once its sender is a known
contact, keep it on its ticket as an internal note, open a new ticket from it, discard it, or
retry it.

Each is recorded: on the mail's row (its `reason` keeps the story: why it was held, then who
did what and when), on the history of the ticket the mail claims, and for a new ticket in its
own history. The desk's Held mail pages and the admin's incoming mails call these.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deskside import db
from deskside.accounts import addresses
from deskside.accounts.models import Contact, Organisation
from deskside.core.errors import ErrorCode
from deskside.mail import decide, held, intake, rawstore, received
from deskside.mail.models import InboundMail, InboundStatus, Outcome
from deskside.mail.parse import MailRejected, ParsedMail
from deskside.mail.results import Result
from deskside.tickets import actions, notices
from deskside.tickets.actions import ActionError, Actor, NewFile, NewMessage
from deskside.tickets.models import Direction, Message, MessageKind, Ticket


def _note(inbound: InboundMail, by: User, what: str) -> str:
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return f"{inbound.reason}\n[{stamp}] {by.get_username()}: {what}".strip()


def _check_quarantined(inbound: InboundMail) -> None:
    if inbound.status != InboundStatus.QUARANTINED:
        raise ActionError(
            ErrorCode.MAIL_DECIDED,
            _(
                "Mail %(mail)s is not in quarantine (%(status)s): someone has decided on it "
                "already."
            ),
            mail=inbound.pk,
            status=inbound.get_status_display(),
        )


def _held(inbound: InboundMail) -> InboundMail:
    """The mail's row under a lock, so that two people deciding at once decide once."""
    locked = InboundMail.objects.select_for_update().get(pk=inbound.pk)
    _check_quarantined(locked)
    return locked


def _claimed(inbound: InboundMail, mail: ParsedMail, doing: str) -> Ticket:
    ticket = held.claimed(inbound, mail)
    if ticket is None:
        raise ActionError(
            ErrorCode.MAIL_NAMES_NO_TICKET,
            _(
                "Mail %(mail)s names no ticket, so it cannot %(doing)s: open it as a new ticket "
                "or discard it."
            ),
            mail=inbound.pk,
            doing=doing,
        )
    return Ticket.objects.select_related("organisation").get(pk=ticket.pk)


def _readable(inbound: InboundMail, doing: str) -> ParsedMail:
    try:
        return held.read(inbound)
    except MailRejected as rejected:
        raise ActionError(
            ErrorCode.MAIL_UNREADABLE,
            _(
                "Mail %(mail)s cannot %(doing)s: %(problem)s. Discard it, or download it and "
                "forward it."
            ),
            mail=inbound.pk,
            doing=doing,
            problem=rejected.reason,
        ) from None


def retry(inbound: InboundMail, *, by: User) -> Result:
    """Process the mail again, e.g. after its sender became a known contact."""
    _check_quarantined(inbound)
    with transaction.atomic():
        InboundMail.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.STORED, reason=_note(inbound, by, "retried")
        )
    return intake.process(inbound.pk)


@transaction.atomic
def add_sender_and_attach(inbound: InboundMail, *, by: User) -> Result:
    """Make the sender a contact of the claimed ticket's organisation (a new contact, or one
    without an organisation moved into it), then file the mail through the intake again, so
    that the protocol applies as to any mail from a known sender: a reply on an open ticket;
    on a closed one, a reopening or a new linked ticket (deskside/tickets/closed.py).

    All or nothing: if the intake would still hold the mail, no contact changes either."""
    inbound = _held(inbound)
    mail = _readable(inbound, "be attached")
    ticket = _claimed(inbound, mail, "be attached")
    organisation = ticket.organisation
    if organisation is None:
        raise ActionError(
            ErrorCode.NO_ORGANISATION,
            _(
                "%(ref)s belongs to no organisation to add %(address)s to: attach the mail as an "
                "internal note, or open it as a new ticket."
            ),
            ref=ticket.ref,
            address=mail.from_address,
        )
    contact = _join(organisation, mail)
    InboundMail.objects.filter(pk=inbound.pk).update(
        status=InboundStatus.STORED,
        reason=_note(inbound, by, f"added {contact.email} to {organisation.name}; filed again"),
    )
    # The agent vouches for the sender: a failed DMARC check no longer holds the mail (it keeps
    # its warning in the desk); an ambiguous From still does.
    result = intake.process(inbound.pk, vouched=True)
    if result.outcome == Outcome.QUARANTINED:
        still = (result.reason or "").strip().splitlines()[-1:] or ["no reason given"]
        why = _("Mail %(mail)s would still be held: %(problem)s")
        raise ActionError(ErrorCode.STILL_HELD, why, mail=inbound.pk, problem=still[0])
    actions.record_held_mail(
        ticket,
        by=Actor.staff(by),
        what=f"held mail {inbound.pk} from {contact.email}: {contact.email} added to "
        f"{organisation.name}, {_filed(result, ticket)}",
        mail=inbound.pk,
    )
    return result


def _join(organisation: Organisation, mail: ParsedMail) -> Contact:
    """The sender as a contact of `organisation`. A contact of another organisation stays
    there: moving them would change whose tickets they see in the portal."""
    address = mail.from_address
    if not address or len(address) > received.MAX_ADDRESS_LENGTH:
        raise ActionError(
            ErrorCode.NO_SENDER_ADDRESS,
            _("The mail has no usable sender address to add as a contact."),
        )
    contact = addresses.contact_by_address(address)
    if contact is None:
        new = Contact(
            email=address,
            name=mail.from_name[:200],
            language=received.language_of(mail),
            organisation=organisation,
        )
        if db.insert(new, unless_conflict=True):
            return new
        contact = addresses.contact_by_address(address)  # created a moment ago by another mail
        if contact is None:
            raise RuntimeError(f"contact {address!r} neither created nor found")
    if contact.organisation_id is None:
        Contact.objects.filter(pk=contact.pk).update(organisation=organisation)
        contact.organisation = organisation
    elif contact.organisation_id != organisation.pk:
        other = Organisation.objects.get(pk=contact.organisation_id)
        raise ActionError(
            ErrorCode.CONTACT_OF_OTHER_ORGANISATION,
            _(
                "%(address)s is a contact of %(other)s, not of %(organisation)s: if they moved, "
                "change that in the admin first; or attach the mail as an internal note."
            ),
            address=contact.email,
            other=other.name,
            organisation=organisation.name,
        )
    return contact


def _filed(result: Result, ticket: Ticket) -> str:
    if result.ticket == ticket.ref:
        return "the mail filed as the client's"
    if result.ticket:
        return f"the mail filed on {result.ticket} ({result.outcome.label.lower()})"
    return f"the mail {result.outcome.label.lower()}"


@transaction.atomic
def attach_as_note(inbound: InboundMail, *, by: User) -> Message:
    """Keep the mail on the ticket it claims as an internal note (its text, its files), for a
    sender who should not become a contact: the client never sees it, no clock moves."""
    inbound = _held(inbound)
    mail = _readable(inbound, "be attached as a note")
    ticket = _claimed(inbound, mail, "be attached as a note")
    sender = f"{mail.from_name} <{mail.from_address}>" if mail.from_name else mail.from_address
    head = (
        f"Held mail from {sender or 'no sender'}, received "
        f"{notices.long_date(inbound.received_at, 'en')}, subject: {mail.subject or '(none)'}\n\n"
    )
    note = NewMessage(
        direction=Direction.INTERNAL,
        kind=MessageKind.NOTE,
        text=head + mail.text,
        visible_text=head + (mail.visible_text or mail.text),
        sender=Actor.staff(by).label,
        subject=mail.subject,
        files=tuple(
            NewFile(a.filename, a.content_type, a.payload, a.content_id or "")
            for a in mail.attachments
        ),
    )
    message = actions.file_held_mail_as_note(
        ticket,
        note,
        by=Actor.staff(by),
        what=f"held mail {inbound.pk} from {mail.from_address or 'no sender'} attached as an "
        "internal note",
        mail=inbound.pk,
    ).posted
    inbound.status, inbound.outcome = InboundStatus.PROCESSED, Outcome.APPENDED
    inbound.ticket, inbound.ticket_message, inbound.claimed_ticket = ticket, message, ticket
    inbound.reason = _note(inbound, by, f"attached to {ticket.ref} as an internal note")
    inbound.processed_at = timezone.now()
    inbound.save()
    return message


@transaction.atomic
def make_ticket(inbound: InboundMail, *, by: User) -> Result:
    """Open a new ticket from the mail whatever threading said (an unverified reply that the
    lead vouches for): its severity still comes from the subject, as for any new mail."""
    inbound = _held(inbound)
    result = decide.open_as_new_ticket(inbound, rawstore.load(inbound.raw_sha256), by=by)
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = result.outcome
    inbound.reason = _note(inbound, by, f"turned into {result.ticket}")
    inbound.processed_at = timezone.now()
    inbound.save()
    _on_claimed(inbound, by, f"opened as a new ticket, {result.ticket}")
    return result


@transaction.atomic
def discard(inbound: InboundMail, *, by: User, why: str = "") -> None:
    """Keep the raw bytes but stop showing the mail as waiting for a decision."""
    inbound = _held(inbound)
    why = " ".join(why.split())[:500]
    inbound.status = InboundStatus.DISCARDED
    inbound.outcome = Outcome.IGNORED
    inbound.reason = _note(inbound, by, f"discarded{': ' + why if why else ''}")
    inbound.save()
    _on_claimed(inbound, by, f"discarded{': ' + why if why else ''}")


def _on_claimed(inbound: InboundMail, by: User, what: str) -> None:
    """The decision in the history of the ticket the mail claims, if it claims one."""
    if inbound.claimed_ticket_id is not None:
        actions.record_held_mail(
            Ticket(pk=inbound.claimed_ticket_id),
            by=Actor.staff(by),
            what=f"held mail {inbound.pk} from {inbound.from_address or 'no sender'} {what}",
            mail=inbound.pk,
        )
