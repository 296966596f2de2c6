"""API tokens: a staff user's (named, read or write) or a client contact's (one organisation).

Only a digest of the token is stored: whoever reads the database (a backup, a leak) cannot act
with it. The token carries its own row's public prefix, so that checking it is one indexed read
and one constant-time comparison, never a scan over digests.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from deskside.accounts.models import Contact


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
