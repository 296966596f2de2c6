"""What the desk tells a member of staff: a bell item, and a mail unless they chose otherwise."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from deskside.tickets.models.ticket import Ticket


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "A ticket is assigned to you"
    CLIENT_MESSAGE = "client_message", "Your client wrote (a reply, or to a closed ticket)"
    REFUSED = "refused", "Your client refused the proposed steps"
    DELIVERY_FAILED = "delivery_failed", "Mail to your client could not be delivered"
    HELD_MAIL = "held_mail", "Mail is held for review"
    MENTION = "mention", "A colleague mentions you in a note"
    ESCALATION = "escalation", "A level-1 or level-2 ticket needs an agent"
    CLOCK_WARNING = "clock_warning", "A clock is at 75%"
    CLOCK_BREACH = "clock_breach", "A clock is breached"
    # For the administrators (superusers, leads): a cap on floods held or refused something.
    FLOOD = "flood", "A flood cap held back mail, tickets or alerts"


class Delivery(models.TextChoices):
    DESK_AND_MAIL = "desk_and_mail", "In the desk and by mail"
    DESK = "desk", "In the desk only"
    OFF = "off", "Not at all"


class Notification(models.Model):
    """One thing one person was told. Read when they open its ticket or mark it read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=300)
    text = models.TextField(blank=True)
    path = models.CharField(max_length=500, help_text="Where it leads in the desk.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The bell's count on every desk page reads this index alone.
            models.Index(
                fields=["user", "id"], name="notification_unread", condition=models.Q(read_at=None)
            ),
            models.Index(fields=["user", "-id"], name="notification_recent"),
            # What a person was told of one kind in the last hour (the cap on alerts).
            models.Index(fields=["user", "kind", "created_at"], name="notification_kind_recent"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationSetting(models.Model):
    """A person's choice for one kind; without a row, both the desk and a mail."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_setting_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.delivery}"


class FloodAlarm(models.Model):
    """When the administrators were last told that one flood cap tripped (`key`: which cap,
    for whom), so that they hear of it once an hour, not once per held mail
    (deskside/tickets/floods.py)."""

    key = models.CharField(max_length=400, unique=True)
    told_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} (told {self.told_at:%Y-%m-%d %H:%M})"
