"""The security suite: one module per attack class (README.md, Security). Each test names in its
docstring the advisory, CWE, OWASP ASVS item or RFC section it comes from."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.people import People, make_people


@pytest.fixture
def people(db: None) -> People:
    return make_people()


def from_address(ip: str) -> Client:
    """A browser whose requests come from `ip` (REMOTE_ADDR), as a client elsewhere."""
    return Client(REMOTE_ADDR=ip)
