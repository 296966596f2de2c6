"""Clients: organisations and their contacts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from deskside.core.limits import ADDRESS
from deskside.db import AsciiLower, Lookup


class Folded(Lower):
    """LOWER(text) in code point order, whatever the database's collation: a prefix of it is a
    range of an index on it (desk search finds clients by the start of their name or address).

    PostgreSQL compares text in the database's collation, where a range is not a prefix
    (en_US ignores punctuation at first), so there the expression is COLLATE "C". SQLite
    compares bytes already. Its LOWER folds ASCII letters only: "Émile" is found as "Émile" or
    "émile" only as typed; PostgreSQL folds every letter."""

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = super().as_sql(compiler, connection, **extra)
        return f'({sql} COLLATE "C")', params


class Language(models.TextChoices):
    EN = "en", "English"
    NL = "nl", "Nederlands"
    FR = "fr", "Français"
    DE = "de", "Deutsch"


class Address(models.Model):
    """A postal address; on-site visits are allowed only in Belgium (docs/protocol.md, On-site
    visits)."""

    address_line1 = models.CharField("address", max_length=200, blank=True)
    address_line2 = models.CharField("address (continued)", max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. BE")

    class Meta:
        abstract = True

    def has_address(self) -> bool:
        return bool(self.country and self.postal_code)


class Organisation(Address):
    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Desk → Customers: organisations whose name starts with what an agent typed.
            models.Index(Folded("name"), name="organisation_name_folded"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactManager(models.Manager["Contact"]):
    def by_address(self, address: str) -> Contact | None:
        """The contact with this address (ASCII letters in any case). Prepared: the intake asks
        for every mail; the WHERE clause is the expression of the unique index, so both
        databases search that index, and the index makes it one row at most."""
        return _BY_ADDRESS.first(email=address)


class Contact(Address):
    """A person who writes to support. The e-mail address is unique whatever the case of its
    ASCII letters (deskside/accounts/addresses.py)."""

    objects = ContactManager()

    email = models.EmailField(max_length=ADDRESS)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
    )
    mail_failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Set when mail to this address bounced."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            # ASCII letters in any case, nothing else folded (deskside/accounts/addresses.py).
            models.UniqueConstraint(AsciiLower("email"), name="contact_email_unique_ci"),
        ]
        indexes = [
            # Desk search: clients whose name or address starts with what an agent typed. On
            # SQLite the address one repeats the unique index's expression (one definition for
            # both databases; 20,000 contacts make it about 1 MB).
            models.Index(Folded("name"), name="contact_name_folded"),
            models.Index(Folded("email"), name="contact_email_folded"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def postal_address(self) -> Address:
        """The contact's own address, else the organisation's (on-site eligibility)."""
        if self.has_address() or self.organisation is None:
            return self
        return self.organisation


class SignInKind(models.TextChoices):
    PASSWORD = "password", "wrong password"
    LINK = "link", "sign-in link asked for"


class SignInAttempt(models.Model):
    """A wrong password (portal, desk or admin) or a sign-in link asked for, counted by the
    rules of `accounts/ratelimit.py`.

    Kept in the database rather than Django's cache: the default cache is per process, and the
    web server runs several workers (and possibly several machines), which would each allow the
    full quota."""

    kind = models.CharField(max_length=8, choices=SignInKind.choices)
    account = models.CharField(
        max_length=ADDRESS,
        help_text="As typed, lower case: a client's address, or staff: and a user name.",
    )
    ip = models.CharField(max_length=45)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["kind", "account", "created_at"], name="signin_by_account"),
            models.Index(fields=["kind", "ip", "created_at"], name="signin_by_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.account} from {self.ip}"


_BY_ADDRESS = Lookup(Contact, "LOWER({email}{ascii}) = LOWER(%(email)s{ascii})")
