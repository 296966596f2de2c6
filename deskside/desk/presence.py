"""Who else has a ticket open: each ticket page beats every few seconds; silence means gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from deskside.accounts.names import display_name
from deskside.desk.models import Presence
from deskside.tickets.models import Ticket

STALE_AFTER = timedelta(seconds=30)
BEAT_SECONDS = 10


@dataclass(frozen=True)
class Here:
    name: str
    writing: bool

    def sentence(self) -> str:
        return f"{self.name} is {'writing a reply' if self.writing else 'viewing'}"


def beat(ticket: Ticket, user: User, *, writing: bool, now: datetime) -> None:
    """Record that `user` has `ticket` open (and whether they are writing a reply)."""
    Presence.objects.update_or_create(
        ticket=ticket, user=user, defaults={"writing": writing, "seen_at": now}
    )
    # The user's pages they left: their rows stop beating; tidy them so the table stays small.
    Presence.objects.filter(user=user, seen_at__lt=now - STALE_AFTER).delete()


def others(ticket: Ticket, user: User, now: datetime) -> list[Here]:
    """The other people on `ticket` within the last STALE_AFTER, writers first."""
    rows = (
        Presence.objects.filter(ticket=ticket, seen_at__gte=now - STALE_AFTER)
        .exclude(user=user)
        .select_related("user")
        .order_by("-writing", "user__first_name", "user_id")
    )
    return [Here(name=display_name(row.user), writing=row.writing) for row in rows]
