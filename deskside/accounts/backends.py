"""Signing in with Django's users and groups, reading the roles with the user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User

from deskside.accounts.roles import role_names


class RolesBackend(ModelBackend):
    """Django's ModelBackend, whose `get_user` (run for every signed-in request) also reads the
    names of the user's groups in the same query: every desk page asks the person's role, and
    the answer is fresh on each request (a role taken away counts at once)."""

    def get_user(self, user_id: Any) -> User | None:
        user = (
            User._default_manager.annotate(role_names=role_names("pk")).filter(pk=user_id).first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
