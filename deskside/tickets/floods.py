"""Caps on floods, and the administrators' notice when one trips.

A desk takes mail from anyone and alerts its staff on its own: unchecked, 1,000 mails make
1,000 tickets, 50 level-1 tickets make 50 alerts to every agent, and nobody in charge hears of it
(FreeScout #3670, #4143; Znuny's loop protection counts automatic mail per address). The caps
count what happened in the last hour (WINDOW), each with one query on an index of its own; what
they stop is never dropped. Alerts past ALERTS_PER_HOUR are summed up in one notice a person
(deskside/tickets/notify.py). When a cap trips, the administrators (superusers and the `lead`
group) are told, once an hour per cap and per sender, domain, organisation or kind (FloodAlarm).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from deskside import db
from deskside.accounts.roles import Role
from deskside.tickets.models import FloodAlarm, NotificationKind

WINDOW = timedelta(hours=1)
# Notices of one kind to one person an hour; the rest are summed up in one notice, without mail.
ALERTS_PER_HOUR = 10


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
