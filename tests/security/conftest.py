"""The security suite: one module per attack class (README.md, Security). Each test names in its
docstring the advisory, CWE, OWASP ASVS item or RFC section it comes from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.test import Client

from tests.mail.test_imap_door import box, dovecot, server  # noqa: F401 (fixtures: real IMAP)
from tests.mail.test_smtp_door import door, start_listener  # noqa: F401 (fixtures: real SMTP)
from tests.security.servers import Web, prepare


def from_address(ip: str) -> Client:
    """A browser whose requests come from `ip` (REMOTE_ADDR), as a client elsewhere."""
    return Client(REMOTE_ADDR=ip)


@pytest.fixture(scope="session")
def prepared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated data directory for the real web servers of this session (servers.py)."""
    return prepare(tmp_path_factory.mktemp("web-prepared"))


@pytest.fixture
def start_web(prepared_data: Path, tmp_path: Path) -> Iterator[Callable[..., Web]]:
    """Start gunicorn as `deskside run` does, with extra environment; stopped at the end."""
    started: list[Web] = []

    def start(**settings: str) -> Web:
        started.append(Web(prepared_data, tmp_path / f"web-{len(started) + 1}", **settings))
        return started[-1]

    yield start
    for web in started:
        web.stop()
