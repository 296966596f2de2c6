"""The intake's side of the caps on floods (deskside/tickets/floods.py has the ticket side):
repeats join the first ticket, and new tickets and automatic answers are capped per address,
organisation and domain. Each check is one query on an index of its own; the numbers are for
the last hour by arrival time, so that a mailbox's history polled late (IMAP) is no flood.

- A **repeat** — a new mail from a known sender with the subject of one of their tickets of the
  last hour — is that ticket's reply, not a new ticket (the same rules follow as for a reply).
- A new mail past a cap on new tickets (per address, per organisation, and per domain for
  senders outside any organisation: 300 forged addresses at one domain) is **held** for review.
- Past a cap on automatic answers (per address, deskside/mail/decide.py; per domain; per
  organisation) the ticket opens **without an answer**: the answer would carry the attacker's
  subject to an address that did not write (django-helpdesk #211, backscatter).

Each cap that trips tells the administrators, once an hour per cap (tickets.floods.tripped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from deskside.accounts.addresses import address_key
from deskside.accounts.models import Contact
from deskside.mail.models import InboundMail
from deskside.outbox.models import OutboundMail
from deskside.tickets import floods
from deskside.tickets.floods import WINDOW

# New tickets an hour from senders at one domain who belong to no organisation.
NEW_TICKETS_PER_DOMAIN = 20
# Automatic answers an hour to addresses at one domain (acknowledgements, explanations, "your
# mail waits for review"), whoever they are.
AUTO_ANSWERS_PER_DOMAIN = 30


def domain_of(address: str) -> str:
    return address_key(address).rpartition("@")[2]


@dataclass(frozen=True)
class Load:
    """What the last hour brought from one sender: enough to judge a new mail by every cap."""

    recent: list[tuple[int, str]]  # the contact's tickets (id, subject), oldest first
    organisation: int  # the organisation's tickets; 0 without one
    domain: int  # new tickets from the sender's domain outside any organisation; 0 for a member


def load(address: str, contact: Contact | None, arrived: datetime) -> Load:
    since = arrived - WINDOW
    recent = floods.recent_tickets(contact.pk, since) if contact else []
    organisation_id = contact.organisation_id if contact else None
    if organisation_id is not None:
        return Load(recent, floods.organisation_tickets(organisation_id, since), 0)
    most = NEW_TICKETS_PER_DOMAIN + 1
    return Load(recent, 0, InboundMail.objects.from_domain(domain_of(address), since, most=most))


def repeat_of(subject: str, seen: Load) -> int | None:
    """The id of the sender's ticket of the last hour with this subject, if any."""
    wanted = _same(subject)
    return next((pk for pk, earlier in seen.recent if _same(earlier) == wanted), None)


def _same(subject: str) -> str:
    return " ".join(subject.split()).casefold()


def hold(address: str, contact: Contact | None, seen: Load) -> str | None:
    """Why a new mail must wait for a person instead of opening a ticket, or None; the
    administrators are told."""
    trip = (
        floods.over_new_tickets(contact, len(seen.recent), seen.organisation) if contact else None
    )
    outside = contact is None or contact.organisation_id is None
    if trip is None and outside and seen.domain >= NEW_TICKETS_PER_DOMAIN:
        trip = floods.Trip(
            f"tickets:domain:{domain_of(address)}",
            f"{seen.domain} tickets from senders at {domain_of(address)} outside any "
            f"organisation in the last hour (the cap is {NEW_TICKETS_PER_DOMAIN})",
        )
    if trip is None:
        return None
    floods.tripped(
        trip.key,
        title=f"Flood: {trip.words}: further mail held",
        text=f"A cap on new tickets tripped: {trip.words}. The mails past it wait under Held "
        "mail; open the real ones as new tickets, discard the rest.",
        path=reverse("desk:held"),
    )
    return f"flood: {trip.words}: held for review"


def no_answer(address: str, contact: Contact, seen: Load) -> str | None:
    """Why a new ticket gets no automatic answer by the domain and organisation caps (the
    address's own cap is deskside/mail/decide.py's), or None; the administrators are told."""
    if contact.organisation_id is None:
        return domain_capped(address)
    if seen.organisation < floods.AUTO_ANSWERS_PER_ORGANISATION:
        return None
    what = f"{floods.AUTO_ANSWERS_PER_ORGANISATION} automatic answers to its organisation"
    _answers_tripped(f"answers:organisation:{contact.organisation_id}", what)
    return f"{what} this hour: automatic answers capped"


def domain_capped(address: str) -> str | None:
    """Why `address` gets no more automatic answers this hour by its domain's cap, or None."""
    if answers_to_domain(address) < AUTO_ANSWERS_PER_DOMAIN:
        return None
    what = f"{AUTO_ANSWERS_PER_DOMAIN} automatic answers to {domain_of(address)}"
    _answers_tripped(f"answers:domain:{domain_of(address)}", what)
    return f"{what} this hour: automatic answers capped"


def _answers_tripped(key: str, what: str) -> None:
    floods.tripped(
        key,
        title=f"Flood: {what} in the last hour: no more automatic answers there",
        text=f"A cap on automatic answers tripped ({what} in the last hour). New tickets from "
        "there still open in the queue, and held mail is still held; nobody there is answered "
        "automatically until the hour has passed.",
        path=reverse("desk:queue"),
    )


def answers_to_domain(address: str) -> int:
    """Automatic answers queued this hour to any address at the domain of `address`, counted
    up to one more than the cap."""
    since = timezone.now() - WINDOW
    most = AUTO_ANSWERS_PER_DOMAIN + 1
    return OutboundMail.objects.answers_to_domain(domain_of(address), since, most=most)
