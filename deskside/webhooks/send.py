"""Send the due deliveries: signed POSTs with a short timeout, retried with back-off.

Every outcome is recorded as an Attempt (the delivery log); nothing a receiver does (a DNS
failure, a refused connection, a timeout, a 500, a redirect) escapes to the worker. A delivery
is claimed before it is tried (its attempt counted, its next time set), so a worker killed
mid-call leaves it to be retried: at least once, never lost. An endpoint that has failed without
a success for DESKSIDE_WEBHOOK_PAUSE_AFTER is paused and its owner told by mail.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.client import HTTPResponse
from typing import IO
from urllib.parse import urlsplit

from django.conf import settings
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from deskside import db
from deskside.kick import kick
from deskside.outbox.send import queue
from deskside.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from deskside.webhooks.signing import headers

log = logging.getLogger("deskside.webhooks")
TIMEOUT = 5.0  # seconds, per connect and per read: a silent receiver must not hold the worker
RESPONSE_KEPT = 1000  # characters of a response's body kept in the log
# 30 s doubling up to 6 h: 22 attempts span 3 days and a few hours. A delivery fails for good
# only after both these attempts and the pause period: an outage pauses the endpoint (and its
# events wait) before any of them is given up; one message an endpoint keeps refusing while
# it takes the others (a 400 for that payload) is given up after those days.
FIRST_RETRY = 30
LONGEST_WAIT = 6 * 3600
MAX_ATTEMPTS = 22
USER_AGENT = "Deskside-Webhooks/1"
# Delivered and failed deliveries (and their log) are kept this long, then pruned hourly.
KEPT_FOR = timedelta(days=30)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT))


def pause_after() -> timedelta:
    return timedelta(days=getattr(settings, "DESKSIDE_WEBHOOK_PAUSE_AFTER_DAYS", 3))


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    response: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def endpoint_down(self) -> bool:
        """Whether the endpoint as a whole failed (not this one message): its other deliveries
        wait for the next try instead of each waiting out a timeout now."""
        code = self.status_code
        return code is None or code >= 500 or code == 429


BATCH = 100  # deliveries a run tries at most: each run ends in seconds


def deliver_due(limit: int = BATCH) -> int:
    """Try the due deliveries of endpoints that are enabled and not paused; returns how many
    were delivered."""
    due = list(
        Delivery.objects.filter(
            status=DeliveryStatus.QUEUED,
            next_attempt_at__lte=timezone.now(),
            endpoint__enabled=True,
            endpoint__paused_at__isnull=True,
        )
        .select_related("endpoint")
        .order_by("next_attempt_at", "id")[:limit]
    )
    down: dict[int, datetime] = {}  # endpoint id → when its failed delivery is tried again
    delivered = 0
    for delivery in due:
        if delivery.endpoint_id in down:
            _postpone(delivery, down[delivery.endpoint_id])
        elif _claim(delivery):
            answer = attempt(delivery)
            delivered += answer.succeeded
            if answer.endpoint_down:
                down[delivery.endpoint_id] = delivery.next_attempt_at
    return delivered


def _claim(delivery: Delivery) -> bool:
    """Count the attempt before trying: a second worker that read the same row skips it, and a
    worker killed mid-call leaves the row to be retried after the back-off."""
    tried = delivery.attempts + 1
    retry_at = timezone.now() + backoff(tried)
    claimed = Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.QUEUED, attempts=delivery.attempts
    ).update(attempts=tried, next_attempt_at=retry_at)
    if claimed:
        delivery.attempts, delivery.next_attempt_at = tried, retry_at
    return bool(claimed)


def _postpone(delivery: Delivery, until: datetime) -> None:
    Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.QUEUED, next_attempt_at__lt=until
    ).update(next_attempt_at=until)


def attempt(delivery: Delivery) -> Answer:
    """POST the delivery once, log the attempt and record its outcome."""
    endpoint = delivery.endpoint
    at = timezone.now()
    body = delivery.body.encode("utf-8")
    started = time.monotonic()
    answer = post(endpoint.url, body, headers(endpoint.secret, delivery.message_id, at, body))
    db.insert(
        Attempt(
            delivery=delivery,
            at=at,
            duration_ms=round((time.monotonic() - started) * 1000),
            status_code=answer.status_code,
            response=answer.response,
            error=answer.error,
        )
    )
    if answer.succeeded:
        _delivered(delivery, answer)
    else:
        _failed(delivery, answer)
    return answer


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not followed: the signed body must reach the URL its owner
    gave, and following one would let a receiver point Deskside at another address."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


# Only HTTP and HTTPS: urllib's default opener would also read file:, ftp: and data: URLs.
_OPENER = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    _NoRedirect(),
    urllib.request.HTTPErrorProcessor(),
):
    _OPENER.add_handler(_handler)


def post(url: str, body: bytes, signed: dict[str, str]) -> Answer:
    if urlsplit(url).scheme not in ("http", "https"):
        return Answer(None, "", f"not sent: {url!r} is not an http or https URL")
    refused = _not_public(url)
    if refused:
        return Answer(None, "", refused)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={**signed, "Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            return Answer(response.status, _excerpt(response), "")
    except urllib.error.HTTPError as error:
        where = error.headers.get("Location", "") if 300 <= error.code < 400 else ""
        why = f"HTTP {error.code} {error.reason}"
        if where:
            why += f": redirect to {where} not followed"
        return Answer(error.code, _excerpt(error), why)
    except Exception as error:  # DNS, refused, timeout, TLS, a malformed URL: logged, retried
        reason = getattr(error, "reason", None) or error
        return Answer(None, "", f"{type(error).__name__}: {reason}"[:2000])


def _not_public(url: str) -> str:
    """Why `url` may not be called, or "": unless DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES, a host
    that resolves to a loopback, private, link-local or otherwise non-global address is refused
    (a webhook aimed at the machine's own services or a cloud's metadata service would show
    their answers in the delivery log). A guard against a mistake, not a firewall: the name is
    resolved again to connect, so an egress firewall is the place for a hard rule."""
    if getattr(settings, "DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES", False):
        return ""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname or "", port, type=socket.SOCK_STREAM)
    except ValueError as error:  # a port out of range, in a row from before check_url refused it
        return f"not sent: {error}"
    except OSError as error:
        return f"{type(error).__name__}: {parts.hostname} cannot be resolved: {error}"
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global:
            return (
                f"not sent: {parts.hostname} is {ip}, not a public address "
                "(DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES allows it)"
            )
    return ""


def _excerpt(response: HTTPResponse | IO[bytes] | urllib.error.HTTPError) -> str:
    try:
        return response.read(RESPONSE_KEPT).decode("utf-8", "replace")[:RESPONSE_KEPT]
    except Exception as error:  # a receiver that hangs up mid-body: its status code is enough
        return f"(the response could not be read: {type(error).__name__})"


def _delivered(delivery: Delivery, answer: Answer) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERED,
        delivered_at=timezone.now(),
        last_status_code=answer.status_code,
        last_error="",
    )
    Endpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(
        failing_since=None
    )


def _failed(delivery: Delivery, answer: Answer) -> None:
    now = timezone.now()
    Endpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=True).update(
        failing_since=now
    )
    # A delivery is never given up as its endpoint is paused: it waits for the resume.
    paused = _pause_if_failing(delivery.endpoint_id, now)
    final = (
        not paused
        and delivery.attempts >= MAX_ATTEMPTS
        and delivery.created_at <= now - pause_after()
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
        last_status_code=answer.status_code,
        last_error=answer.error,
    )
    log.warning(
        "webhooks: %s to %s failed (attempt %d): %s",
        delivery.message_id,
        delivery.endpoint.url,
        delivery.attempts,
        answer.error,
    )


def _pause_if_failing(endpoint_id: int, now: datetime) -> bool:
    """Pause the endpoint once it has failed for the whole pause period, and tell its owner
    (once: only the update that sets paused_at tells). Whether it paused it."""
    paused = Endpoint.objects.filter(
        pk=endpoint_id, paused_at__isnull=True, failing_since__lte=now - pause_after()
    ).update(paused_at=now)
    if paused:
        endpoint = Endpoint.objects.select_related("owner").get(pk=endpoint_id)
        log.warning("webhooks: endpoint %s (%s) paused", endpoint.pk, endpoint.url)
        tell_owner(endpoint)
    return bool(paused)


def tell_owner(endpoint: Endpoint) -> None:
    if not endpoint.owner.email:
        log.warning("webhooks: the owner of endpoint %s has no address to tell", endpoint.pk)
        return
    waiting = endpoint.deliveries.filter(status=DeliveryStatus.QUEUED).count()
    since = endpoint.failing_since or endpoint.paused_at
    page = reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    queue(
        to=[endpoint.owner.email],
        subject=f"Webhook paused: {endpoint}",
        text=(
            f"The webhook endpoint {endpoint.url} has failed every delivery since "
            f"{since:%Y-%m-%d %H:%M} UTC, so Deskside paused it.\n\n"
            f"{waiting} event(s) wait for it and are kept. Once the receiver answers again, "
            "resume the endpoint (admin → Webhook endpoints → Resume, or PATCH "
            f'/api/v1/webhooks/{endpoint.pk} with {{"paused": false}}): they are sent then.\n\n'
            f"The endpoint and its delivery log: {settings.DESKSIDE_BASE_URL}{page}\n"
        ),
        purpose="webhook_paused",
        automatic=True,
    )


@task()
def deliver() -> int:
    delivered = deliver_due(limit=BATCH)
    if delivered >= BATCH:
        kick(deliver)  # more may be due: see deskside/outbox/send.py's deliver
    return delivered


def prune(limit: int = 5000) -> int:
    """Delete finished deliveries older than KEPT_FOR, with their attempts; waiting ones stay
    whatever their age (a paused endpoint's). Reads the created_at index."""
    old = Delivery.objects.filter(
        created_at__lt=timezone.now() - KEPT_FOR,
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
    ).order_by("created_at")[:limit]
    deleted, _ = Delivery.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    return deleted


@task()
def prune_deliveries() -> int:
    return prune()
