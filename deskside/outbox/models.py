from __future__ import annotations

from django.db import models

from deskside.core.limits import HEADER_LINE


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed for good"
    # An automatic mail (an acknowledgement, a reminder, a notice) to an address that bounced:
    # sending more would only bring more bounces (deskside/outbox/send.py).
    SUPPRESSED = "suppressed", "Not sent: the address bounces"


class CalendarMethod(models.TextChoices):
    """The iTIP method (RFC 5546) of an attached invitation."""

    REQUEST = "REQUEST", "Request (new or updated)"
    CANCEL = "CANCEL", "Cancel"


class OutboundMail(models.Model):
    """One mail to send. The row is written in the transaction of the change that causes it, so
    the mail exists exactly when the change does; the worker sends it and retries on failure."""

    to = models.JSONField(help_text="Recipient addresses.")
    primary_to = models.CharField(
        max_length=320, db_index=True, help_text="First recipient, ASCII letters in lower case."
    )
    primary_domain = models.CharField(
        max_length=255, blank=True, help_text="The domain of the first recipient, as primary_to."
    )
    subject = models.CharField(max_length=HEADER_LINE)
    text = models.TextField()
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    calendar = models.TextField(
        blank=True, help_text="An iCalendar invitation (RFC 5545) sent with the mail."
    )
    calendar_method = models.CharField(max_length=10, choices=CalendarMethod.choices, blank=True)
    attachments = models.JSONField(
        default=list,
        blank=True,
        help_text="Files sent with the mail: [filename, content type, path in the data directory].",
    )
    message_id = models.CharField(max_length=HEADER_LINE, unique=True)
    in_reply_to = models.CharField(max_length=HEADER_LINE, blank=True)
    references = models.TextField(blank=True)
    automatic = models.BooleanField(
        default=False, help_text="An automatic answer (RFC 3834): never answered automatically."
    )
    purpose = models.CharField(max_length=40, help_text="What it is: acknowledgement, reply, …")
    ticket_ref = models.CharField(max_length=40, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # Automatic answers to one domain in the last hour (deskside/mail/floods.py).
            models.Index(fields=["primary_domain", "purpose", "created_at"], name="outbox_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} to {', '.join(self.to)}: {self.subject}"
