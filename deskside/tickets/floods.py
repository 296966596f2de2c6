"""Caps on floods, and the administrators' notice when one trips.

A desk takes mail from anyone and alerts its staff on its own: unchecked, 1,000 mails make
1,000 tickets, 50 level-1 tickets make 50 alerts to every agent, and nobody in charge hears of it
(FreeScout #3670, #4143; Znuny's loop protection counts automatic mail per address). The caps
count what happened in the last hour (WINDOW), each with one query on an index of its own; what
they stop is never dropped: new tickets past a cap are held for review (mail,
deskside/mail/floods.py), and alerts past ALERTS_PER_HOUR are summed up in one notice a person
(deskside/tickets/notify.py). When a cap trips, the administrators (superusers and the `lead`
group) are told, once an hour per cap and per sender, domain, organisation or kind (FloodAlarm).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from deskside import db
from deskside.accounts.addresses import address_key
from deskside.accounts.models import Contact, Organisation
from deskside.accounts.roles import Role
from deskside.tickets.models import FloodAlarm, NotificationKind, Ticket

WINDOW = timedelta(hours=1)
# New tickets an hour, by mail and in the portal together.
NEW_TICKETS_PER_ADDRESS = 10
NEW_TICKETS_PER_ORGANISATION = 60
# Acknowledgements and explanations of an organisation's new tickets an hour: the rest of its
# new tickets open without an automatic answer.
AUTO_ANSWERS_PER_ORGANISATION = 30
# Notices of one kind to one person an hour; the rest are summed up in one notice, without mail.
ALERTS_PER_HOUR = 10


def recent_tickets(contact_id: int, since: datetime) -> list[tuple[int, str]]:
    """(id, subject) of the contact's tickets received since `since`, oldest first: at most one
    more than the cap, which is all that the cap and the coalescing of repeats need."""
    return Ticket.objects.recent_of_contact(contact_id, since, most=NEW_TICKETS_PER_ADDRESS + 1)


def organisation_tickets(organisation_id: int, since: datetime) -> int:
    """How many tickets the organisation received since `since`, counted up to one more than
    its cap."""
    most = NEW_TICKETS_PER_ORGANISATION + 1
    return Ticket.objects.count_of_organisation(organisation_id, since, most=most)


@dataclass(frozen=True)
class Trip:
    """A cap that trips: which (FloodAlarm's key) and why, in words for the staff."""

    key: str
    words: str


def over_new_tickets(contact: Contact, recent: int, organisation_count: int) -> Trip | None:
    """Whether one more ticket of `contact` would be one too many, given how many tickets they
    (`recent`) and their organisation had in the last hour."""
    if recent >= NEW_TICKETS_PER_ADDRESS:
        return Trip(
            f"tickets:address:{address_key(contact.email)}",
            f"{contact.email} opened {recent} tickets in the last hour "
            f"(the cap is {NEW_TICKETS_PER_ADDRESS})",
        )
    if contact.organisation_id is not None and organisation_count >= NEW_TICKETS_PER_ORGANISATION:
        name = Organisation.objects.filter(pk=contact.organisation_id).values_list("name")[0][0]
        return Trip(
            f"tickets:organisation:{contact.organisation_id}",
            f"{name} opened {organisation_count} tickets in the last hour "
            f"(the cap is {NEW_TICKETS_PER_ORGANISATION})",
        )
    return None


def portal_refusal(contact: Contact) -> Trip | None:
    """Whether the portal must refuse `contact` a new ticket now (the same caps as mail)."""
    since = timezone.now() - WINDOW
    recent = len(recent_tickets(contact.pk, since))
    organisation = (
        organisation_tickets(contact.organisation_id, since) if contact.organisation_id else 0
    )
    return over_new_tickets(contact, recent, organisation)


def administrators() -> list[int]:
    """Who hears that a cap tripped: active superusers and leads."""
    people = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name=Role.LEAD), is_active=True
    )
    return list(people.values_list("pk", flat=True).distinct())


def tripped(key: str, *, title: str, text: str, path: str) -> bool:
    """Tell the administrators that the cap `key` tripped, unless they heard of that key in
    the last hour; True when they are told now. In the caller's transaction."""
    from deskside.tickets import notify

    now = timezone.now()
    again = FloodAlarm.objects.filter(key=key[:400], told_at__lt=now - WINDOW).update(told_at=now)
    if not again and not db.insert(FloodAlarm(key=key[:400], told_at=now), unless_conflict=True):
        return False  # told within the hour
    notify.tell(
        administrators(),
        NotificationKind.FLOOD,
        title=title,
        text=f"{text.strip()}\n\nNothing is lost: what the cap stopped waits where this notice "
        "leads. You hear of this cap again in an hour at the earliest.",
        path=path,
    )
    return True
