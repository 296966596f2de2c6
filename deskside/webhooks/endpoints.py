"""What staff do with endpoints, for the admin and the API alike: make one (its secret shown
once), choose its kinds, resume it after a pause, send a delivery again."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from deskside.webhooks.emit import kick
from deskside.webhooks.models import Delivery, DeliveryStatus, Endpoint, Kind, Subscription
from deskside.webhooks.send import MAX_ATTEMPTS
from deskside.webhooks.signing import new_secret


class EndpointError(ValueError):
    """A URL or a kind that cannot be used; the message says which."""


def check_url(url: str) -> str:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise EndpointError(f"{url!r} is not an http or https URL.") from error
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise EndpointError("Put no user name or password in the URL: the signature proves it.")
    try:
        parts.port  # noqa: B018 - reading it checks it: 1 to 65535
    except ValueError:
        raise EndpointError(f"{url!r} names a port that does not exist.") from None
    return url


def check_kinds(kinds: Iterable[str]) -> list[Kind]:
    chosen = sorted(set(kinds))
    unknown = [k for k in chosen if k not in Kind.values]
    if unknown:
        raise EndpointError(f"Unknown kinds: {', '.join(unknown)}.")
    if not chosen:
        raise EndpointError("Choose at least one kind of event.")
    return [Kind(k) for k in chosen]


@transaction.atomic
def create(owner: User, url: str, kinds: Iterable[str], description: str = "") -> Endpoint:
    """A new endpoint with a new secret (read it from `endpoint.secret` now: it is shown once)."""
    chosen = check_kinds(kinds)
    endpoint = Endpoint.objects.create(
        owner=owner, url=check_url(url), description=description, secret=new_secret()
    )
    set_kinds(endpoint, chosen)
    return endpoint


def set_kinds(endpoint: Endpoint, kinds: Iterable[str]) -> None:
    chosen = check_kinds(kinds)
    Subscription.objects.filter(endpoint=endpoint).exclude(kind__in=chosen).delete()
    have = set(endpoint.subscriptions.values_list("kind", flat=True))
    Subscription.objects.bulk_create(
        [Subscription(endpoint=endpoint, kind=k) for k in chosen if k not in have]
    )


def rotate_secret(endpoint: Endpoint) -> str:
    """A new secret, from the next attempt on (deliveries waiting are signed with it)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint.secret


@transaction.atomic
def delete(endpoints: Iterable[Endpoint]) -> int:
    """Delete endpoints with their subscriptions and deliveries. Each is locked first: a change
    that is queuing an event for it (emit._held) finishes, and its delivery goes too, where
    deleting at once would break the new delivery's foreign key. Returns how many went."""
    pks = [e.pk for e in endpoints]
    locked = list(Endpoint.objects.filter(pk__in=pks).select_for_update().order_by("pk"))
    for endpoint in locked:
        endpoint.delete()
    return len(locked)


@transaction.atomic
def resume(endpoint: Endpoint) -> int:
    """Unpause: the waiting deliveries are due now. Returns how many wait."""
    Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=None, failing_since=None)
    endpoint.paused_at = endpoint.failing_since = None
    waiting = endpoint.deliveries.filter(status=DeliveryStatus.QUEUED).update(
        next_attempt_at=timezone.now()
    )
    transaction.on_commit(kick, robust=True)
    return waiting


@transaction.atomic
def send_again(deliveries: Iterable[Delivery]) -> int:
    """Queue deliveries to be sent again now, whatever became of them, under the same
    webhook-id (a receiver that has it already can tell). One that had used all its attempts
    gets one more."""
    rows = Delivery.objects.filter(pk__in=[d.pk for d in deliveries])
    rows.filter(attempts__gte=MAX_ATTEMPTS).update(attempts=MAX_ATTEMPTS - 1)
    count = rows.update(status=DeliveryStatus.QUEUED, next_attempt_at=timezone.now())
    transaction.on_commit(kick, robust=True)
    return count
