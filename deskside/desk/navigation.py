"""What the desk's navigation counts on every page: the bell's unread notifications and the mail
held for review, read together in one statement (two index lookups: the unread notifications'
partial index, and InboundMail's (status, id)), so that the count of held mail costs the queue
no query of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F, Func, IntegerField, QuerySet, Subquery

from deskside.mail.models import InboundMail, InboundStatus
from deskside.tickets.models import Notification


@dataclass(frozen=True)
class Counts:
    unread: int
    held: int


def _count(queryset: QuerySet[Any]) -> Subquery:
    # COUNT as a plain function, not an aggregate: no GROUP BY, one row even when nothing matches.
    counted = queryset.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def counts(user: User) -> Counts:
    unread = _count(Notification.objects.filter(user_id=user.pk, read_at=None))
    held = _count(InboundMail.objects.filter(status=InboundStatus.QUARANTINED))
    row = User.objects.filter(pk=user.pk).values_list(unread, held).first()
    return Counts(*row) if row else Counts(0, 0)
