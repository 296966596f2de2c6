"""emit(): queue an event for every endpoint subscribed to its kind, in the caller's
transaction, as the outbox does for mail: the deliveries exist exactly when the change does.

The cost on the cause's path is one query on the subscriptions' kind index when nobody listens,
and one insert per subscribed endpoint when someone does; the payload is built only then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from deskside import db
from deskside.kick import kick as kick_task
from deskside.oncommit import once_after_commit
from deskside.webhooks.models import Delivery, Endpoint, Kind, Subscription
from deskside.webhooks.send import deliver
from deskside.webhooks.signing import new_message_id

Data = Mapping[str, Any]


def subscribers(kind: Kind) -> list[int]:
    """The enabled endpoints that receive `kind` (paused ones included: their events wait)."""
    return Subscription.objects.endpoints_for(kind)


def _held(endpoints: list[int]) -> list[int]:
    """The endpoints, locked (FOR KEY SHARE) until the cause's transaction ends, of those that
    still exist. An endpoint deleted meanwhile then waits for the cause to commit and takes its
    new deliveries with it; without the lock PostgreSQL's deferred foreign key would fail the
    cause's commit (a client's mail, an agent's reply) over a webhook. SQLite writes one
    transaction at a time: nothing to hold there."""
    if not endpoints or connection.vendor != "postgresql" or not connection.in_atomic_block:
        return endpoints
    # FOR KEY SHARE, which the ORM cannot write: it blocks a DELETE, not the sender's updates.
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [endpoints]
        )
        return [pk for (pk,) in cursor.fetchall()]


def emit(kind: Kind, data: Callable[[], Data], *, at: datetime | None = None) -> int:
    """Queue `kind` with the payload `data()` for its subscribers; returns how many. Sent after
    commit by the worker (deskside/webhooks/send.py), with retries."""
    endpoints = _held(subscribers(kind))
    if not endpoints:
        return 0
    now = timezone.now()
    body = body_of(kind, data(), at or now)
    message_id = new_message_id()
    for endpoint_id in endpoints:
        db.insert(
            Delivery(
                endpoint_id=endpoint_id,
                message_id=message_id,
                kind=kind,
                body=body,
                next_attempt_at=now,
                created_at=now,
            )
        )
    once_after_commit(kick)
    return len(endpoints)


def body_of(kind: Kind, data: Data, at: datetime) -> str:
    """The payload as Standard Webhooks suggests it: type, timestamp, data."""
    payload = {"type": kind.value, "timestamp": at.isoformat(), "data": data}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def kick() -> None:
    # Ask the worker to send now (a run already waiting will); if this is lost, the scheduler's
    # sweep sends anyway.
    kick_task(deliver)
