"""API fixtures: the named people, tickets opened through the actions, tokens and callers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from deskside.api import tokens
from deskside.api.models import Scope
from tests.people import People, open_ticket

__all__ = ["open_ticket"]  # the API tests import it from here


class Api:
    """A test client that sends one bearer token with every request."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(f"/api/v1{path}", query, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def agent_api(people: People) -> Api:
    return Api(tokens.issue("tests", Scope.WRITE, user=people.agent).text)


@pytest.fixture
def reader_api(people: People) -> Api:
    return Api(tokens.issue("tests", Scope.READ, user=people.agent).text)


@pytest.fixture
def client_api(people: People) -> Api:
    return Api(tokens.issue("acme", Scope.WRITE, contact=people.client).text)
