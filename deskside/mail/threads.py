"""Threading: which ticket a mail belongs to, and whether its sender may write to it
(docs/protocol.md, Replies and threading)."""

from __future__ import annotations

import re

from django.conf import settings

from deskside.accounts import addresses
from deskside.accounts.models import Contact
from deskside.mail.parse import ParsedMail
from deskside.tickets.models import Message, Ticket


def find_ticket(mail: ParsedMail) -> Ticket | None:
    """Our reference in the subject, else one of our Message-IDs in In-Reply-To/References."""
    prefix = re.escape(settings.DESKSIDE_REF_PREFIX)
    numbers = [int(n) for n in re.findall(rf"\[{prefix}-(\d{{1,18}})\]", mail.subject, re.I)]
    if numbers:  # one query, however many references a (hostile) subject carries
        found = Ticket.objects.in_bulk(numbers)
        ticket = next((found[n] for n in numbers if n in found), None)
        if ticket:
            return ticket
    ids = [i for i in (*mail.in_reply_to, *mail.references) if i]
    if not ids:
        return None
    known = Message.objects.filter(message_id__in=ids).select_related("ticket").first()
    return known.ticket if known else None


def known_sender(ticket: Ticket, address: str) -> Contact | None:
    """The ticket's contact, or a known contact of its organisation: never a stranger."""
    contact = addresses.contact_by_address(address)
    if contact is None:
        return None
    if contact.pk == ticket.contact_id:
        return contact
    same_org = (
        ticket.organisation_id is not None and contact.organisation_id == ticket.organisation_id
    )
    return contact if same_org else None
