"""One-time sign-in links: issued for a known contact, mailed, redeemed once within 15 minutes,
and only while the contact's account is as it was when the link was issued (no new password, no
sign-in since, the same address), as Django's PasswordResetTokenGenerator binds its tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from deskside.accounts.models import Contact
from deskside.portal.models import LoginToken

LIFETIME = timedelta(minutes=15)


class TokenState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_state(contact: Contact) -> str:
    """A keyed digest of what a password change, a sign-in or a new address changes.

    The password hash changes with every new password (and set_unusable_password), last_login
    with every sign-in by link or password. Unlike Django's, microseconds count: SQLite and
    PostgreSQL keep them, and a sign-in in the same second as the link must spend it too."""
    user = contact.user
    parts = [contact.email.lower()]
    if user is not None:
        login = user.last_login.timestamp() if user.last_login else ""
        parts += [str(user.pk), user.password, str(login), str(user.is_active)]
    return salted_hmac("deskside.portal.tokens.account_state", "\0".join(parts)).hexdigest()


def issue(contact: Contact) -> str:
    """A new link token for `contact`: 32 random bytes (256 bits); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # Spent and expired links have no use left; a day's grace keeps "expired" answers clear.
    LoginToken.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    LoginToken.objects.create(
        contact=contact,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + LIFETIME,
        account_state=account_state(contact),
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
    if not constant_time_compare(row.account_state, account_state(row.contact)):
        return TokenState.REVOKED
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
