"""Shared fixtures (the environment itself is set by tests/environment.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.people import People


@pytest.fixture(scope="session", autouse=True)
def _database_is_what_ci_asked_for(django_db_blocker: object) -> None:
    """In the PostgreSQL run, a missing or misconfigured server fails the run, never skips."""
    if os.environ.get("DESKSIDE_REQUIRE_POSTGRES") == "1":
        from django.db import connection

        assert connection.vendor == "postgresql", (
            f"DESKSIDE_REQUIRE_POSTGRES=1 but the tests run on {connection.vendor}"
        )


@pytest.fixture(scope="session")
def live_server(django_db_setup: None, live_server: Any) -> Any:
    """pytest-django's live server, one request at a time on in-memory SQLite (see
    tests/live_server.py). The test database is set up first, so that the server always shares
    the test's connection: started before it, the server would open connections of its own to
    the shared in-memory database, or not, depending on which test ran first."""
    from tests.live_server import OneRequestAtATime

    if live_server.thread.connections_override:
        httpd = live_server.thread.httpd
        httpd.set_app(OneRequestAtATime(httpd.get_app()))
    return live_server


@pytest.fixture(autouse=True)
def _default_language() -> None:
    """Each test starts in the site's language: a request through LocaleMiddleware (a Dutch
    client's portal page) leaves its language active in the thread, and the next test that
    renders a date would print "vr" for "Fri"."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    # PBKDF2 costs ~0.3 s per user; the named people would make every test seconds slower.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


# A test reaches the database through the django_db marker or one of these fixtures (as
# pytest-django's own _django_db_helper reads them): the API's fuzzing, say, through
# django_db_reset_sequences, which ran without the levels after a flush.
_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


@pytest.fixture(autouse=True)
def _protocol_data(request: pytest.FixtureRequest) -> None:
    """The four levels, the calendar and the role groups, for every test that uses the database.

    Migrations seed them once; a transactional test (browser, SMTP, IMAP) ends with a flush that
    empties every table, so the tests after it would run without the protocol. Seeding again is
    idempotent and cheaper than serialized_rollback, which Playwright's event loop defeats.
    """
    if request.node.get_closest_marker("django_db") is None and not (
        _DATABASE_FIXTURES & set(request.fixturenames)
    ):
        return
    request.getfixturevalue("_django_db_helper")
    from deskside.tickets import policy
    from deskside.tickets.models import SeverityLevel

    # The protocol's data and who is on duty are cached for seconds; each test starts cold, so
    # that no test reads the levels, calendar or staff of the one before.
    policy.clear()

    if not SeverityLevel.objects.exists():
        seed_protocol()


def seed_protocol() -> None:
    from django.apps import apps

    from deskside.accounts.roles import sync_role_groups
    from deskside.tickets import seeds

    seeds.protocol(apps)
    seeds.public_holidays(apps)
    sync_role_groups()


@pytest.fixture
def people(db: None) -> People:
    """The named people of tests/people.py. What the policy cached before they existed (who is
    on duty) is dropped."""
    from deskside.tickets import policy
    from tests.people import make_people

    made = make_people()
    policy.clear()
    return made
