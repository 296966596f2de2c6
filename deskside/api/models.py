"""API tokens: a staff user's (named, read or write) or a client contact's (one organisation).

Only a digest of the token is stored: whoever reads the database (a backup, a leak) cannot act
with it. The token carries its own row's public prefix, so that checking it is one indexed read
and one constant-time comparison, never a scan over digests.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from deskside.accounts.models import Contact, Organisation
from deskside.core.levels import LEVELS
from deskside.tickets.models import Ticket


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'monitoring'.")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the token.")
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="A staff token acts as this member of staff.",
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="A client token acts as this contact and sees their organisation's tickets.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The rate limit's fixed window: its start (a whole minute) and the requests counted in it.
    window_start = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, contact__isnull=True)
                | models.Q(user__isnull=True, contact__isnull=False),
                name="api_token_one_owner",
                violation_error_message="A token belongs to a member of staff or to a contact.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


# -- monitoring alerts (docs/api.md, Monitoring alerts) ----------------------------------------

# Which level an alert opens its ticket at, by the value of its `severity` label, unless the
# receiver token's AlertRouting says otherwise. Anything else opens at DEFAULT_ALERT_LEVEL: an
# alert is never refused for want of a level (nobody would read the protocol's explanation).
ALERT_LEVELS = {"critical": 1, "warning": 3}
DEFAULT_ALERT_LEVEL = 3


def _alert_levels() -> dict[str, int]:
    return dict(ALERT_LEVELS)


def validate_alert_levels(value: object) -> None:
    """{"label value": level}: text keys, levels 1 to 4."""
    if not isinstance(value, dict):
        raise ValidationError('Give an object such as {"critical": 1, "warning": 3}.')
    for key, level in value.items():
        if not isinstance(key, str) or not key.strip():
            raise ValidationError("Every label value must be a non-empty text.")
        if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
            raise ValidationError(f"The level of {key!r} must be 1, 2, 3 or 4, not {level!r}.")


class AlertRouting(models.Model):
    """How a receiver token's alerts are given their level: `levels` maps the values of the
    `label` label to levels; an alert without the label, or with another value, gets
    `default_level`. A client token without one uses ALERT_LEVELS on `severity`."""

    token = models.OneToOneField(ApiToken, on_delete=models.CASCADE, related_name="alert_routing")
    label = models.CharField(max_length=100, default="severity")
    levels = models.JSONField(
        default=_alert_levels,
        validators=[validate_alert_levels],
        help_text='Label value → level, e.g. {"critical": 1, "major": 2, "warning": 3}.',
    )
    default_level = models.PositiveSmallIntegerField(
        default=DEFAULT_ALERT_LEVEL,
        validators=[MinValueValidator(min(LEVELS)), MaxValueValidator(max(LEVELS))],
        help_text="The level of an alert whose label has no entry above.",
    )

    class Meta:
        verbose_name = "alert routing"

    def __str__(self) -> str:
        return f"alerts of {self.token}"

    def level_of(self, labels: dict[str, str]) -> tuple[int, str]:
        """The level for an alert's labels, and why (for the history)."""
        value = labels.get(self.label, "")
        wanted = {str(k).lower(): v for k, v in self.levels.items()}
        if value.lower() in wanted:
            return int(wanted[value.lower()]), f"{self.label}={value}"
        shown = f"{self.label}={value}" if value else f"no {self.label} label"
        return self.default_level, f"{shown}, the default"


class AlertTicket(models.Model):
    """The ticket an organisation's alert (by its fingerprint, a hash of its labels) opened:
    its repeats and its resolution go there, not into new tickets. `starts_at` tells one
    episode of the alert from the next (Alertmanager gives a new one when it fires again)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    firing = models.BooleanField(default=True)
    noted_at = models.DateTimeField(help_text="When the ticket last heard of the alert.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"], name="api_alert_ticket_one_per_alert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} → {self.ticket_id}"
