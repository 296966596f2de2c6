"""The desk's own rows: who has a ticket open right now, the canned replies, saved views."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from deskside.tickets.models import Ticket


class Presence(models.Model):
    """An agent's heartbeat on a ticket page; a row older than PRESENCE_TTL means gone."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    writing = models.BooleanField(default=False, help_text="Writing a reply at the last beat.")
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="presence_once_per_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.ticket_id}"


class CannedReply(models.Model):
    """A reply text agents start from, in the four languages a ticket can have."""

    title = models.CharField(max_length=120, unique=True)
    text_en = models.TextField("text (English)")
    text_nl = models.TextField("text (Dutch)", blank=True)
    text_fr = models.TextField("text (French)", blank=True)
    text_de = models.TextField("text (German)", blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title

    def text_in(self, language: str) -> str:
        """The text in `language`, else the English one."""
        return str(getattr(self, f"text_{language}", "") or self.text_en)


class SavedView(models.Model):
    """A view of the queue a member of staff named: its query string (filters and order), which
    the queue shows back as a link. Each person's own; written by deskside/desk/saved_views.py."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_name_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class DraftKind(models.TextChoices):
    """The composer's tabs; each keeps its own draft, so that a note half-written for the team
    is never sent to the client by switching tabs."""

    REPLY = "reply", "Reply"
    PROPOSE = "propose", "Propose steps"
    NOTE = "note", "Internal note"


class Draft(models.Model):
    """What an agent has typed in one tab of a ticket's composer and not sent yet: saved as
    they type, shown to them only, deleted when the message is sent."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=DraftKind.choices)
    text = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "ticket", "kind"], name="draft_once_per_user_ticket_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}'s {self.kind} draft on {self.ticket_id}"
