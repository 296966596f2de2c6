"""Tell members of staff: a bell item in the desk and a mail, as each person chose per kind.

Called inside the action's transaction, like every mail: a person is told exactly when the
change that concerns them happened. The one who caused a change is not told of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deskside import db
from deskside.outbox.send import queue
from deskside.tickets.links import absolute
from deskside.tickets.models import (
    Delivery,
    Notification,
    NotificationKind,
    NotificationSetting,
    Ticket,
)


@dataclass(frozen=True)
class Person:
    """Who is told: enough of a user to write the bell item and address the mail."""

    id: int
    email: str

    @classmethod
    def of(cls, user: User) -> Person:
        return cls(user.pk, user.email)


def tell(
    people: Iterable[Person | User],
    kind: NotificationKind,
    *,
    title: str,
    text: str,
    ticket: Ticket | None = None,
    path: str = "",
    not_to: User | None = None,
) -> list[Notification]:
    """Tell each person once (`not_to`, who caused it, is left out). `path` is where it leads in
    the desk: the ticket's page unless given. The mail is one, to everyone who wants it."""
    wanted = _unique(people, leave_out=not_to.pk if not_to else None)
    if not wanted:
        return []
    chosen = _choices(wanted, kind)
    path = path or (reverse("desk:ticket", args=[ticket.ref]) if ticket else reverse("desk:queue"))
    now = timezone.now()
    told = [
        Notification(
            user_id=person.id,
            kind=kind,
            ticket=ticket,
            title=" ".join(title.split())[:300],
            text=text,
            path=path,
            created_at=now,
        )
        for person in wanted
        if chosen.get(person.id, Delivery.DESK_AND_MAIL) != Delivery.OFF
    ]
    for notification in told:
        db.insert(notification)
    by_mail = sorted(
        {
            p.email.lower()
            for p in wanted
            if p.email and chosen.get(p.id, Delivery.DESK_AND_MAIL) == Delivery.DESK_AND_MAIL
        }
    )
    if by_mail:
        queue(
            to=by_mail,
            subject=" ".join(title.split()),
            text=f"{text.strip()}\n\nIn the desk: {absolute(path)}\n",
            purpose=kind.value,
            ticket_ref=ticket.ref if ticket else "",
            automatic=True,
        )
    return told


def _unique(people: Iterable[Person | User], leave_out: int | None) -> list[Person]:
    seen: dict[int, Person] = {}
    for someone in people:
        person = Person.of(someone) if isinstance(someone, User) else someone
        if person.id != leave_out:
            seen.setdefault(person.id, person)
    return list(seen.values())


def _choices(people: list[Person], kind: NotificationKind) -> dict[int, str]:
    rows = NotificationSetting.objects.filter(
        user_id__in=[p.id for p in people], kind=kind
    ).values_list("user_id", "delivery")
    return dict(rows)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


@transaction.atomic
def mark_read(user: User, *, ticket: Ticket | None = None) -> int:
    """Mark what `user` was told as read: about one ticket (they opened it), or everything."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ticket is not None:
        unread = unread.filter(ticket=ticket)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def choose(user: User, kind: NotificationKind, delivery: Delivery) -> None:
    """How `user` wants to hear of `kind`."""
    NotificationSetting.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": delivery}
    )
