"""First-run set-up: schema, protocol data (seeded by migrations) and an administrator."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command


def prepare(out: list[str]) -> None:
    """Bring the database and static files up to date; appends what a person should read."""
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
