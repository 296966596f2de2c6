"""On-site visits (docs/protocol.md, On-site visits): requested from a ticket, allowed only in
Belgium, scheduled in business hours with a technician, and closed with a report. Only
deskside.onsite.actions writes these rows."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models

from deskside.core.limits import WHO
from deskside.core.postal import Refusal
from deskside.tickets.models import Ticket


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    REFUSED = "refused", "Refused"
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES = (VisitStatus.REQUESTED, VisitStatus.SCHEDULED)
REFUSAL_CHOICES = [(r.value, r.value.replace("_", " ").capitalize()) for r in Refusal]


class Visit(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="visits")
    status = models.CharField(max_length=10, choices=VisitStatus.choices)
    reason = models.TextField(help_text="Why the problem cannot be solved remotely.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The address as it was checked: the technician drives to it, the refusal is explained by it.
    address = models.CharField(max_length=500, blank=True)
    country = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    province = models.CharField(max_length=40, blank=True)
    refusal = models.CharField(max_length=20, choices=REFUSAL_CHOICES, blank=True)
    refusal_reason = models.CharField(max_length=500, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    start = models.DateTimeField(null=True, blank=True, db_index=True)
    duration = models.DurationField(null=True, blank=True)
    # One visit is one calendar event for its whole life (RFC 5545): every update or cancellation
    # carries the same UID and a higher SEQUENCE than the last invitation sent.
    uid = models.CharField(max_length=255, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    invitations_sent = models.PositiveIntegerField(default=0)
    outcome = models.TextField(blank=True, help_text="The technician's report.")
    time_spent = models.DurationField(null=True, blank=True)
    solved = models.BooleanField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("schedule_visit", "Can schedule, reschedule and cancel on-site visits"),
            ("report_visit", "Can report on any on-site visit"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=VisitStatus.SCHEDULED)
                | models.Q(start__isnull=False, duration__isnull=False, technician__isnull=False),
                name="scheduled_visit_has_time_and_technician",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit {self.pk} for {self.ticket.ref} ({self.get_status_display().lower()})"

    @property
    def end(self) -> datetime | None:
        if self.start is None or self.duration is None:
            return None
        return self.start + self.duration

    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class VisitEventKind(models.TextChoices):
    REQUESTED = "requested", "Requested"
    REFUSED = "refused", "Refused"
    SCHEDULED = "scheduled", "Scheduled"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    REPORTED = "reported", "Report filed"


class VisitEvent(models.Model):
    """The visit's own audit trail: one row for every change, never edited."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=VisitEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=WHO)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_label}"
