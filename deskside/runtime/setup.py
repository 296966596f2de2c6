"""First-run set-up: schema, protocol data (seeded by migrations) and an administrator."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from deskside.runtime import migration_lock


def prepare(out: list[str], tell: Callable[[str], None] = print) -> None:
    """Bring the database and static files up to date; appends what a person should read.

    Under the migration lock, so that nodes starting together migrate one after the other and
    only the first creates the administrator; `tell` says when this one has to wait."""
    with migration_lock.held(tell):
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = ensure_admin()
    if password:
        out.append(
            "Created the administrator 'admin' with password "
            f"{password!r} (shown once; change it in the admin)."
        )


def ensure_admin() -> str | None:
    """Create the first administrator when there is none; returns a generated password once."""
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    given = os.environ.get("DESKSIDE_ADMIN_PASSWORD")
    password = given or secrets.token_urlsafe(12)
    user_model.objects.create_superuser(
        username="admin", email=settings.DESKSIDE_SUPPORT_ADDRESS, password=password
    )
    return None if given else password
