from __future__ import annotations

from datetime import datetime

from django.db import models

from deskside.accounts.addresses import address_key
from deskside.core.limits import HEADER_LINE, WHO
from deskside.db import Statement


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


# The automatic answers to a client's mail (acknowledgements, explanations, "your mail waits
# for review"), which the flood caps count per domain (deskside/mail/floods.py).
ANSWER_PURPOSES = ("acknowledgement", "protocol", "held_for_review")


class OutboundMailManager(models.Manager["OutboundMail"]):
    """Prepared counts (deskside/db.py): the intake asks them for every mail it answers."""

    def automatic_to(self, address: str, since: datetime) -> int:
        """Automatic mails to `address` (any case of its ASCII letters) queued since `since`."""
        return int(_AUTOMATIC_TO.value(to=address_key(address), since=since))

    def answers_to_domain(self, domain: str, since: datetime, *, most: int) -> int:
        """Automatic answers to any address at `domain` since `since`, counted up to `most`:
        (primary_domain, purpose, created_at) is its index."""
        acknowledgement, protocol, held = ANSWER_PURPOSES
        return int(
            _ANSWERS_TO_DOMAIN.value(
                domain=domain,
                since=since,
                most=most,
                acknowledgement=acknowledgement,
                protocol=protocol,
                held=held,
            )
        )


class OutboundMail(models.Model):
    """One mail to send. The row is written in the transaction of the change that causes it, so
    the mail exists exactly when the change does; the worker sends it and retries on failure."""

    objects = OutboundMailManager()

    to = models.JSONField(help_text="Recipient addresses.")
    primary_to = models.CharField(
        max_length=WHO, db_index=True, help_text="First recipient, ASCII letters in lower case."
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


_AUTOMATIC_TO = Statement(
    OutboundMail,
    "SELECT COUNT(*) FROM {table} WHERE {primary_to} = %(to)s AND {automatic} "
    "AND {created_at} >= %(since)s",
    fields={"to": "primary_to", "since": "created_at"},
)
_ANSWERS_TO_DOMAIN = Statement(
    OutboundMail,
    "SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {primary_domain} = %(domain)s "
    "AND {purpose} IN (%(acknowledgement)s, %(protocol)s, %(held)s) "
    "AND {created_at} >= %(since)s LIMIT %(most)s) AS recent",
    fields={
        "domain": "primary_domain",
        "since": "created_at",
        "most": None,
        **dict.fromkeys(("acknowledgement", "protocol", "held"), "purpose"),
    },
)
