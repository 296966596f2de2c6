"""Changes to contacts: the desk's edits (checked, written under a row lock and recorded, with who
made them, in the admin's history of the contact: Django's LogEntry, which a lead reads under
the contact's History in the admin), the client's own choice of language, and the mark of
mail that bounces.

The intake still creates contacts itself (deskside/mail/decide.py, quarantine.py), with its
prepared INSERT (deskside/db.py): it writes a dozen rows per mail and that one is on its path.

The actions of this app take the staff `User` who acts, as deskside.onsite's do: the tickets'
Actor lives in a layer above accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.text import capfirst

from deskside.accounts.models import Contact, Language
from deskside.db import AsciiLower


def may_edit_contact(user: User) -> bool:
    """Agents and leads correct a contact's details; technicians only read them."""
    return user.has_perm("accounts.change_contact")


@dataclass(frozen=True)
class ContactDetails:
    """What the desk may change on a contact: never the address (the contact's identity in
    mail) nor the organisation (which decides whose tickets they see in the portal)."""

    name: str
    language: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str

    @classmethod
    def of(cls, contact: Contact) -> ContactDetails:
        return cls(**{f.name: getattr(contact, f.name) for f in fields(cls)})


def edit_contact(contact: Contact, details: ContactDetails, *, by: User) -> Contact:
    """Write the details that differ, and record which changed (nothing when none did).
    Returns the contact, brought up to date."""
    if not may_edit_contact(by):
        raise PermissionDenied("only agents and leads edit contacts")
    if details.language not in Language.values:
        raise ValueError(f"unknown language {details.language!r}")
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        changed = [
            f.name for f in fields(details) if getattr(locked, f.name) != getattr(details, f.name)
        ]
        if changed:
            for name in changed:
                setattr(locked, name, getattr(details, name))
            locked.save(update_fields=changed)
            _record_change(locked, changed, by)
    for name in (f.name for f in fields(details)):
        setattr(contact, name, getattr(locked, name))
    return contact


def choose_language(contact: Contact, language: str) -> Contact:
    """The client's own choice of language (the portal's switch): their pages and our mail
    speak it from now on. Not recorded: it is theirs to change at any time."""
    if language not in Language.values:
        raise ValueError(f"unknown language {language!r}")
    if contact.language != language:
        contact.language = language
        contact.save(update_fields=["language"])
    return contact


def mark_mail_failing(addresses: Sequence[str]) -> None:
    """Mark the contacts behind bounced addresses (deskside/mail/bounces.py), compared as every
    address is (ASCII letters in any case); an address already failing keeps the time it
    started to fail. Deskside then sends them no automatic mail (deskside/outbox/send.py)."""
    if addresses:
        Contact.objects.alias(key=AsciiLower("email")).filter(
            key__in=[AsciiLower(Value(a)) for a in addresses[:50]],
            mail_failing_since__isnull=True,
        ).update(mail_failing_since=timezone.now())


def _record_change(contact: Contact, changed: list[str], by: User) -> None:
    # The admin's own format of a change message: its History page names the fields in the
    # reader's language.
    labels = [capfirst(_label(name)) for name in changed]
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[contact],
        action_flag=CHANGE,
        change_message=[{"changed": {"fields": labels}}],
        single_object=True,
    )


def _label(name: str) -> str:
    field = Contact._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.verbose_name)
