"""Webhook endpoints, what each subscribes to, and the deliveries with their attempts.

A Delivery is the outbox row of one event for one endpoint: written in the transaction of the
change that causes it (deskside/webhooks/emit.py), sent by the worker with retries
(deskside/webhooks/send.py). Each try is an Attempt: the delivery log.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from deskside.db import Rows


class Kind(models.TextChoices):
    """What an endpoint may subscribe to: the `type` of the payload (docs/api.md, Webhooks)."""

    TICKET_CREATED = "ticket.created", "Ticket created"
    CLIENT_MESSAGE = "ticket.client_message", "Client message"
    STAFF_REPLY = "ticket.staff_reply", "Staff reply"
    REASSESSED = "ticket.reassessed", "Level reassessed"
    CLOCK_WARNING = "ticket.clock_warning", "Clock warning (75%)"
    CLOCK_BREACHED = "ticket.clock_breached", "Clock breached"
    TICKET_CLOSED = "ticket.closed", "Ticket closed"
    TICKET_REOPENED = "ticket.reopened", "Ticket reopened"
    VISIT_SCHEDULED = "visit.scheduled", "On-site visit scheduled"
    MAIL_HELD = "mail.held", "Mail held for review"


class Endpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its own secret."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        help_text="Told when the endpoint is paused.",
    )
    url = models.URLField(max_length=2000, help_text="Where the events are POSTed.")
    description = models.CharField(max_length=200, blank=True)
    # Standard Webhooks' form, "whsec_" + base64 of 32 random bytes. Kept as it is because
    # signing needs it; shown once, when the endpoint is made.
    secret = models.CharField(max_length=100, editable=False)
    enabled = models.BooleanField(
        default=True, help_text="Off: no events are queued for it (its owner's choice)."
    )
    paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when it failed for days: events wait, unsent, until it is resumed.",
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="The first failure since its last success."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description or self.url

    @property
    def kinds(self) -> list[str]:
        return sorted(s.kind for s in self.subscriptions.all())


class SubscriptionManager(models.Manager["Subscription"]):
    def endpoints_for(self, kind: str) -> list[int]:
        """The enabled endpoints that receive `kind` (paused ones included: their events wait).
        Prepared (deskside/db.py): every change of a ticket asks, and the ORM would spend twenty
        times the query's own time building it (about 1 ms against 50 µs on SQLite)."""
        return [endpoint for (endpoint,) in _ENDPOINTS_FOR.all(kind=kind)]


class Subscription(models.Model):
    """One kind of event an endpoint receives. A row per kind, so that the cause of an event
    finds its endpoints with one query on the kind's index."""

    objects = SubscriptionManager()

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="subscriptions")
    kind = models.CharField(max_length=40, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "endpoint"], name="webhooks_one_kind_each")
        ]

    def __str__(self) -> str:
        return f"{self.endpoint}: {self.kind}"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed for good"


class Delivery(models.Model):
    """One event for one endpoint. `body` is kept as sent, so that every retry signs and sends
    the same bytes under the same `message_id` (the webhook-id header: receivers dedupe by it)."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=40, choices=Kind.choices)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhooks_due"),
            models.Index(fields=["created_at"], name="webhooks_age"),  # pruning
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="webhooks_one_message_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id} to {self.endpoint}"


class Attempt(models.Model):
    """One try of a delivery: the delivery log."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.TextField(blank=True, help_text="The start of the response's body.")
    error = models.TextField(blank=True, help_text="Why it failed, when it did.")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error[:60]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_ENDPOINTS_FOR = Rows(
    Subscription,
    ["endpoint"],
    "{kind} = %(kind)s AND {endpoint} IN "
    f'(SELECT "id" FROM "{Endpoint._meta.db_table}" WHERE "enabled") ORDER BY {{endpoint}}',
)
