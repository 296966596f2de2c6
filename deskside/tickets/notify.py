"""Tell members of staff: a bell item in the desk and a mail, as each person chose per kind.

Called inside the action's transaction, like every mail: a person is told exactly when the
change that concerns them happened. The one who caused a change is not told of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from deskside import db
from deskside.accounts.addresses import address_key
from deskside.outbox.send import queue
from deskside.tickets import floods
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
    the desk: the ticket's page unless given. The mail is one, to everyone who wants it. A
    person past the hour's ALERTS_PER_HOUR notices of `kind` gets a line in one summary notice
    instead (deskside/tickets/floods.py)."""
    ids = _unique_ids(people, leave_out=not_to.pk if not_to else None)
    if not ids:
        return []
    # Read now, not from the caller's (possibly cached) list: a person removed or made inactive
    # a moment ago is not told, and the mail goes to their current address.
    wanted = [w for w in _reachable(ids, kind) if w[2] != Delivery.OFF]
    path = path or (reverse("desk:ticket", args=[ticket.ref]) if ticket else reverse("desk:queue"))
    now = timezone.now()
    flooded = _flooded([pk for pk, _email, _delivery in wanted], kind, since=now - floods.WINDOW)
    if flooded:
        _sum_up([w for w in wanted if w[0] in flooded], kind, title=title, now=now)
        wanted = [w for w in wanted if w[0] not in flooded]
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
        for pk, _email, _delivery in wanted
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


def _flooded(ids: list[int], kind: NotificationKind, *, since: datetime) -> set[int]:
    """Who already had the hour's ALERTS_PER_HOUR notices of `kind`: one query on the
    (user, kind, created_at) index."""
    if not ids:
        return set()
    counts = (
        Notification.objects.filter(user_id__in=ids, kind=kind, created_at__gte=since)
        .values("user_id")
        .annotate(told=Count("id"))
        .filter(told__gte=floods.ALERTS_PER_HOUR)
    )
    return {row["user_id"] for row in counts}


Reachable = tuple[int, str, str]  # (user id, address, delivery), as _reachable reads them


def _sum_up(wanted: list[Reachable], kind: NotificationKind, *, title: str, now: datetime) -> None:
    """Past the cap, one notice a person says what else happened this hour: it is written once
    (with one mail, for those who take mail), then grows a line each time, unread again and
    without a mail. The administrators hear that the cap tripped."""
    path = f"{reverse('desk:notifications')}#more-{kind.value}"
    line = " ".join(title.split())[:300]
    summaries = {
        n.user_id: n
        for n in Notification.objects.filter(
            user_id__in=[pk for pk, _email, _delivery in wanted],
            kind=kind,
            path=path,
            created_at__gte=now - floods.WINDOW,
        )
    }
    for summary in summaries.values():
        _grow(summary, line, kind)
    _start_summary([w for w in wanted if w[0] not in summaries], kind, line, path, now)
    if kind != NotificationKind.FLOOD:  # the administrators' own notices trip nothing
        floods.tripped(
            f"alerts:{kind.value}",
            title=f"Flood: more than {floods.ALERTS_PER_HOUR} an hour of '{kind.label}'",
            text=f"Staff had more than {floods.ALERTS_PER_HOUR} notices of one kind in an hour; "
            f"the rest are summed up in one notice each. The latest: {line}",
            path=reverse("desk:queue"),
        )


def _summary_title(count: int, kind: NotificationKind) -> str:
    return f"{count} more this hour: {kind.label.lower()} (past the hourly cap, without mail)"


def _grow(summary: Notification, line: str, kind: NotificationKind) -> None:
    summary.text = f"{line}\n{summary.text}"[:5000]
    summary.title = _summary_title(summary.text.count("\n") + 1, kind)
    summary.read_at = None
    summary.save(update_fields=["title", "text", "read_at"])


def _start_summary(
    fresh: list[Reachable], kind: NotificationKind, line: str, path: str, now: datetime
) -> None:
    for pk, _email, _delivery in fresh:
        db.insert(
            Notification(
                user_id=pk,
                kind=kind,
                title=_summary_title(1, kind),
                text=line,
                path=path,
                created_at=now,
            )
        )
    by_mail = sorted({address_key(e) for _pk, e, d in fresh if e and d == Delivery.DESK_AND_MAIL})
    if by_mail:
        heading = f"More than {floods.ALERTS_PER_HOUR} this hour: {kind.label.lower()}"
        queue(
            to=by_mail,
            subject=heading,
            text=f"{heading}. The rest of the hour's are listed in the desk, one line each and "
            f"without a mail:\n\n{line}\n\nIn the desk: {absolute(path)}\n",
            purpose=kind.value,
            automatic=True,
        )


def _unique_ids(people: Iterable[Someone], leave_out: int | None) -> list[int]:
    ids = dict.fromkeys(p.pk if isinstance(p, User) else p for p in people)
    return [pk for pk in ids if pk != leave_out]


def _reachable(ids: list[int], kind: NotificationKind) -> Iterable[Reachable]:
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
