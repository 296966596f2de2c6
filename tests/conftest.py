"""Shared fixtures (the environment itself is set by tests/environment.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _database_is_what_ci_asked_for(django_db_blocker: object) -> None:
    """In the PostgreSQL run, a missing or misconfigured server fails the run, never skips."""
    if os.environ.get("DESKSIDE_REQUIRE_POSTGRES") == "1":
        from django.db import connection

        assert connection.vendor == "postgresql", (
            f"DESKSIDE_REQUIRE_POSTGRES=1 but the tests run on {connection.vendor}"
        )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # PBKDF2 costs ~0.3 s per user; the named people would make every test seconds slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
