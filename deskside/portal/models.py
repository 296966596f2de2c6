"""The portal's own rows: one-time sign-in links (attempts are counted in accounts)."""

from __future__ import annotations

from django.db import models

from deskside.accounts.models import Contact


class LoginToken(models.Model):
    """A one-time sign-in link. Only the SHA-256 of the token is stored: a copy of the database
    (a backup, a leaked dump) holds no link that works."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="login_tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # What the contact's account looked like when the link was issued (tokens.account_state):
    # a new password, a sign-in or a changed address since then makes the link worthless.
    account_state = models.CharField(max_length=64, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in link for {self.contact.email}"
