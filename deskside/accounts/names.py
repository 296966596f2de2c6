"""How a member of staff is named wherever Deskside shows or mails a name."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def display_name(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """Their full name, else their user name ("" for nobody)."""
    if user is None:
        return ""
    full_name = getattr(user, "get_full_name", lambda: "")()
    return str(full_name or user.get_username())
