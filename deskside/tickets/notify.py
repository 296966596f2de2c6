"""Tell members of staff: a bell item in the desk and a mail, as each person chose per kind.

Called inside the action's transaction, like every mail: a person is told exactly when the
change that concerns them happened. The one who caused a change is not told of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from deskside import db
from deskside.accounts.addresses import address_key
from deskside.outbox.send import queue
from deskside.tickets.links import absolute
from deskside.tickets.models import (
    Delivery,
    Notification,
    NotificationKind,
    NotificationSetting,
    Ticket,
)

# Whom to tell: a user, or a user's id (the cached list of who is on duty holds ids).
Someone = User | int


def tell(
    people: Iterable[Someone],
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
    ids = _unique_ids(people, leave_out=not_to.pk if not_to else None)
    if not ids:
        return []
    # Read now, not from the caller's (possibly cached) list: a person removed or made inactive
    # a moment ago is not told, and the mail goes to their current address.
    wanted = list(_reachable(ids, kind))
    path = path or (reverse("desk:ticket", args=[ticket.ref]) if ticket else reverse("desk:queue"))
    now = timezone.now()
    told = [
        Notification(
            user_id=pk,
            kind=kind,
            ticket=ticket,
            title=" ".join(title.split())[:300],
            text=text,
            path=path,
            created_at=now,
        )
        for pk, _email, delivery in wanted
        if delivery != Delivery.OFF
    ]
    for notification in told:
        db.insert(notification)
    by_mail = sorted(
        {
            address_key(email)
            for _pk, email, delivery in wanted
            if email and delivery == Delivery.DESK_AND_MAIL
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


def _unique_ids(people: Iterable[Someone], leave_out: int | None) -> list[int]:
    ids = dict.fromkeys(p.pk if isinstance(p, User) else p for p in people)
    return [pk for pk in ids if pk != leave_out]


def _reachable(ids: list[int], kind: NotificationKind) -> Iterable[tuple[int, str, str]]:
    """(id, address, delivery) of the active users among `ids`, in one query."""
    chosen = NotificationSetting.objects.filter(user=OuterRef("pk"), kind=kind).values("delivery")
    return (
        User.objects.filter(pk__in=ids, is_active=True)
        .annotate(delivery=Coalesce(Subquery(chosen[:1]), Value(Delivery.DESK_AND_MAIL.value)))
        .order_by("pk")
        .values_list("pk", "email", "delivery")
    )


def unread_recent(
    people: Iterable[Someone], kind: NotificationKind, *, since: datetime
) -> dict[int, Notification]:
    """Each person's newest unread notification of `kind` told since `since`, by user id: for a
    caller that would rather grow it than add another (see deskside/mail/held.py)."""
    ids = _unique_ids(people, leave_out=None)
    unread = Notification.objects.filter(
        user_id__in=ids, kind=kind, read_at=None, created_at__gte=since
    ).order_by("id")
    return {notification.user_id: notification for notification in unread}


def rewrite(notification: Notification, *, title: str, text: str, path: str) -> None:
    """Say more in an unread notification instead of telling again: no new bell item, no mail."""
    notification.title = " ".join(title.split())[:300]
    notification.text, notification.path = text, path
    notification.save(update_fields=["title", "text", "path"])


@transaction.atomic
def mark_read(
    user: User, *, ticket: Ticket | None = None, kind: NotificationKind | None = None
) -> int:
    """Mark what `user` was told as read: about one ticket (they opened it), of one kind (they
    opened the page of that kind, e.g. Held mail), or everything."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if ticket is not None:
        unread = unread.filter(ticket=ticket)
    if kind is not None:
        unread = unread.filter(kind=kind)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def choose(user: User, kind: NotificationKind, delivery: Delivery) -> None:
    """How `user` wants to hear of `kind`."""
    NotificationSetting.objects.update_or_create(
        user=user, kind=kind, defaults={"delivery": delivery}
    )
