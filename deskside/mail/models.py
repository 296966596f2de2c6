"""Every mail that reached a door, with where it ended."""

from __future__ import annotations

from datetime import datetime

from django.db import models

from deskside.core.limits import HEADER_LINE
from deskside.db import Lookup, Statement
from deskside.tickets.models import Message, Ticket


class Door(models.TextChoices):
    IMAP = "imap", "IMAP poller"
    SMTP = "smtp", "SMTP listener"
    PIPE = "pipe", "Pipe (deskside ingest)"


class InboundStatus(models.TextChoices):
    STORED = "stored", "Stored, not yet processed"
    PROCESSED = "processed", "Processed"
    QUARANTINED = "quarantined", "In quarantine"
    DISCARDED = "discarded", "Discarded (raw mail kept)"


class Outcome(models.TextChoices):
    """The `outcome` of `deskside ingest` (docs/protocol.md, Commands)."""

    CREATED = "created", "Opened a ticket"
    APPENDED = "appended", "Added to a ticket"
    REJECTED = "rejected", "Closed at once: no valid severity"
    IGNORED = "ignored", "Ignored (kept)"
    QUARANTINED = "quarantined", "Quarantined"
    DUPLICATE = "duplicate", "Duplicate delivery"


class InboundMailManager(models.Manager["InboundMail"]):
    """Prepared statements (deskside/db.py): the intake runs them for every mail."""

    def stored(self, pk: int) -> InboundMail | None:
        """The row, as the SMTP door's worker and the sweep read every mail they process."""
        return _BY_ID.first(id=pk)

    def mark_processed(self, mail: InboundMail) -> bool:
        """Write the outcome of processing `mail` (attempts + 1 and the fields processing sets)
        only while the row is still STORED: False when another worker was first."""
        values = {name: getattr(mail, name) for name in _PROCESSED}
        return bool(_MARK.run(**values, id=mail.pk, was=InboundStatus.STORED))

    def from_domain(self, domain: str, since: datetime, *, most: int) -> int:
        """Mails from senders at `domain` received since `since`, counted up to `most`:
        (sender_domain, received_at) is its index."""
        return int(_FROM_DOMAIN.value(domain=domain, since=since, most=most))


class InboundMail(models.Model):
    """The raw mail as it arrived (the bytes are a file named by their SHA-256), stored and
    committed before anything else happens to it. (message_id, content_hash) is unique, so a
    second delivery of the same mail is recognised, never processed twice."""

    objects = InboundMailManager()

    door = models.CharField(max_length=10, choices=Door.choices)
    message_id = models.CharField(max_length=HEADER_LINE, blank=True, db_index=True)
    content_hash = models.CharField(max_length=64)
    raw_sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    envelope_sender = models.CharField(max_length=HEADER_LINE, blank=True)
    subject = models.CharField(max_length=HEADER_LINE, blank=True)
    from_address = models.CharField(max_length=HEADER_LINE, blank=True)
    received_at = models.DateTimeField(help_text="When the mailbox or door received it.")
    stored_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=12, choices=InboundStatus.choices, default=InboundStatus.STORED
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    reason = models.TextField(blank=True)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="inbound_mails"
    )
    ticket_message = models.OneToOneField(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_mail"
    )
    claimed_ticket = models.ForeignKey(
        Ticket,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claiming_mails",
        help_text="The ticket the mail names (our reference in its subject, or one of our "
        "Message-IDs it answers), whether or not it was filed there: for held mail, the ticket "
        "it claims.",
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    authentication = models.CharField(
        max_length=200,
        blank=True,
        help_text="What our own mail server's Authentication-Results said (RFC 8601; only "
        "DESKSIDE_AUTHSERV_ID is believed), e.g. 'spf=fail dkim=none dmarc=fail'.",
    )
    sender_domain = models.CharField(
        max_length=255,
        blank=True,
        help_text="Set when the mail opened a ticket for a sender outside any organisation: "
        "the cap on new tickets per domain counts these (deskside/mail/floods.py).",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "incoming mail"
        constraints = [
            models.UniqueConstraint(fields=["message_id", "content_hash"], name="inbound_once"),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="inbound_status"),
            models.Index(fields=["sender_domain", "received_at"], name="inbound_domain_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.content_hash[:12]} ({self.get_status_display()})"


# What processing writes on the row (besides attempts), for mark_processed.
_PROCESSED = (
    "outcome",
    "reason",
    "status",
    "processed_at",
    "subject",
    "from_address",
    "ticket_id",
    "ticket_message_id",
    "claimed_ticket_id",
    "authentication",
    "sender_domain",
)
_BY_ID = Lookup(InboundMail, "{id} = %(id)s")
_MARK = Statement(
    InboundMail,
    "UPDATE {table} SET {attempts} = {attempts} + 1, "
    + ", ".join(f"{{{name}}} = %({name})s" for name in _PROCESSED)
    + " WHERE {id} = %(id)s AND {status} = %(was)s",
    fields={"was": "status"},
)
_FROM_DOMAIN = Statement(
    InboundMail,
    "SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {sender_domain} = %(domain)s "
    "AND {received_at} >= %(since)s LIMIT %(most)s) AS recent",
    fields={"domain": "sender_domain", "since": "received_at", "most": None},
)
