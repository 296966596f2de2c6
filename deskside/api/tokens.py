"""Issuing, checking, using and revoking API tokens.

A token reads `dsk_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole token
is compared with the stored digest. A plain hash suffices (no slow password hash): the secret is
256 random bits, which no dictionary guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import Group, User
from django.db import connection, connections, router
from django.utils import timezone

from deskside import db
from deskside.accounts.models import Contact
from deskside.api.models import ApiToken, Scope

MARK = "dsk"
# Requests a token may make per minute; past it the API answers 429 until the next minute.
# Counted in the database, not in a cache: `deskside run` starts several web workers.
RATE_PER_MINUTE = 600
WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Issued:
    token: ApiToken
    text: str  # shown once, never stored


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def issue(
    name: str, scope: Scope, *, user: User | None = None, contact: Contact | None = None
) -> Issued:
    prefix = secrets.token_hex(6)
    text = f"{MARK}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name, scope=scope, user=user, contact=contact, prefix=prefix, digest=digest(text)
    )
    return Issued(token, text)


def fill(token: ApiToken) -> str:
    """Give a new row (the admin's form) its prefix and digest; the text, to show once."""
    token.prefix = secrets.token_hex(6)
    text = f"{MARK}_{token.prefix}_{secrets.token_urlsafe(32)}"
    token.digest = digest(text)
    return text


# Every API request reads its token, with its user and the user's roles, in one statement:
# prepared once per database (deskside/db.py's way), not the ORM, whose compiling of a
# select_related query with the roles' subquery cost more than the read; one round trip, not
# three, as each is a good part of a request's time on PostgreSQL.
_TOKEN_FIELDS = list(ApiToken._meta.concrete_fields)
_USER_FIELDS = list(User._meta.concrete_fields)
_TOKEN_NAMES = [f.attname for f in _TOKEN_FIELDS]
_USER_NAMES = [f.attname for f in _USER_FIELDS]
_READ = db.Converted([*_TOKEN_FIELDS, *_USER_FIELDS])
_SQL: dict[str, str] = {}


def _sql(alias: str) -> str:
    """The token by its prefix, its user's columns (NULL for a contact's) and the names of the
    user's groups, comma-separated (NULL: none), as RolesBackend reads them for a session."""
    cached = _SQL.get(alias)
    if cached is None:
        connection = connections[alias]
        quote = connection.ops.quote_name
        columns = [f"t.{quote(str(f.column))}" for f in _TOKEN_FIELDS]
        columns += [f"u.{quote(str(f.column))}" for f in _USER_FIELDS]
        joined = "string_agg" if connection.vendor == "postgresql" else "group_concat"
        membership = User.groups.through._meta
        roles = (
            f"(SELECT {joined}(g.{quote('name')}, ',') FROM {quote(Group._meta.db_table)} g "
            f"JOIN {quote(membership.db_table)} m ON m.{quote('group_id')} = g.{quote('id')} "
            f"WHERE m.{quote('user_id')} = u.{quote('id')})"
        )
        prefix = quote(str(ApiToken._meta.get_field("prefix").column))
        revoked = quote(str(ApiToken._meta.get_field("revoked_at").column))
        cached = _SQL[alias] = (
            f"SELECT {', '.join(columns)}, {roles} "
            f"FROM {quote(ApiToken._meta.db_table)} t "
            f"LEFT JOIN {quote(User._meta.db_table)} u ON u.{quote('id')} = t.{quote('user_id')} "
            f"WHERE t.{prefix} = %s AND t.{revoked} IS NULL LIMIT 1"
        )
    return cached


def _read(prefix: str) -> ApiToken | None:
    """The active token of `prefix` with its user (and the user's `role_names`, see has_role)
    when it has one; None when there is no such token."""
    alias = router.db_for_read(ApiToken)
    with connections[alias].cursor() as cursor:
        cursor.execute(_sql(alias), [prefix])
        found = cursor.fetchall()
    if not found:
        return None
    (row,) = _READ.rows(alias, found)
    ends = len(_TOKEN_FIELDS)
    token = ApiToken.from_db(alias, _TOKEN_NAMES, list(row[:ends]))
    if token.user_id is not None:
        if row[ends] is None:  # no such user (the foreign key forbids it): no token either
            return None
        user = User.from_db(alias, _USER_NAMES, list(row[ends:-1]))
        user.role_names = row[-1] or None  # type: ignore[attr-defined]  # see has_role
        token.user = user
    return token


def find(text: str) -> ApiToken | None:
    """The active token `text` is, or None (unknown, malformed, revoked), with its user and the
    user's roles (as RolesBackend reads them for a session) or its contact and organisation."""
    mark, _, rest = text.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != MARK or not prefix or not secret:
        return None
    token = _read(prefix)
    if token is None or not hmac.compare_digest(token.digest, digest(text)):
        return None
    if token.user_id is None and token.contact_id is not None:
        token.contact = Contact.objects.select_related("organisation").get(pk=token.contact_id)
    return token


def use(token: ApiToken, now: datetime) -> int:
    """Record a use; the number of requests in this minute, this one included.

    One UPDATE counts, records the last use and returns the count; its expressions all read
    the row as it was (PostgreSQL: as the last writer left it), so that two workers counting at
    once each add one."""
    window = now.replace(second=0, microsecond=0)
    at = connection.ops.adapt_datetimefield_value  # the ORM's form: naive UTC text on SQLite
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ApiToken._meta.db_table} SET last_used_at = %s, window_count = "
            "CASE WHEN window_start = %s THEN window_count + 1 ELSE 1 END, window_start = %s "
            "WHERE id = %s RETURNING window_count",
            [at(now), at(window), at(window), token.pk],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def retry_after(now: datetime) -> int:
    """Seconds until the next window opens."""
    start = now.replace(second=0, microsecond=0)
    return max(1, int((start + WINDOW - now).total_seconds() + 0.999))


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
