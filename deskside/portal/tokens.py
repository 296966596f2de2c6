"""One-time sign-in links: issued for a known contact, mailed, redeemed once within 15 minutes."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from deskside.accounts.models import Contact
from deskside.portal.models import LoginToken

LIFETIME = timedelta(minutes=15)


class TokenState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(contact: Contact) -> str:
    """A new link token for `contact`: 32 random bytes (256 bits); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # Spent and expired links have no use left; a day's grace keeps "expired" answers clear.
    LoginToken.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    LoginToken.objects.create(
        contact=contact, token_hash=token_hash(token), created_at=now, expires_at=now + LIFETIME
    )
    return token


def _find(token: str) -> LoginToken | None:
    # A guessed string of any length or alphabet is simply not found; no parsing needed.
    return (
        LoginToken.objects.select_related("contact", "contact__user")
        .filter(token_hash=token_hash(token[:200]))
        .first()
    )


def _state(row: LoginToken | None) -> TokenState:
    if row is None:
        return TokenState.UNKNOWN
    if row.used_at is not None:
        return TokenState.USED
    if row.expires_at <= timezone.now():
        return TokenState.EXPIRED
    return TokenState.VALID


def check(token: str) -> TokenState:
    """What the link is worth, without using it (a GET must not change anything)."""
    return _state(_find(token))


@transaction.atomic
def redeem(token: str) -> tuple[TokenState, Contact | None]:
    """Use the token: VALID and its contact exactly once; any other state and no contact.

    The conditional update makes two simultaneous confirmations race safely: one wins."""
    row = _find(token)
    state = _state(row)
    if row is None or state is not TokenState.VALID:
        return state, None
    now = timezone.now()
    if not LoginToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        return TokenState.USED, None
    # The other links still in flight for this contact are spent too: one sign-in, one link.
    LoginToken.objects.filter(contact=row.contact, used_at__isnull=True).update(used_at=now)
    return TokenState.VALID, row.contact
