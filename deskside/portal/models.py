"""The portal's own rows: one-time sign-in links and the sign-in attempts that rate-limit them."""

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

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in link for {self.contact.email}"


class SignInAttempt(models.Model):
    """One sign-in attempt (a link request or a password try), counted per address and per IP.

    Kept in the database rather than Django's cache: the default cache is per process, and the
    web server runs several workers (and possibly several machines), which would each allow the
    full quota."""

    address = models.CharField(max_length=254, db_index=True, help_text="Lower case.")
    ip = models.CharField(max_length=45, db_index=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} from {self.ip}"
