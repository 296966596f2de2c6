"""Schemathesis against /api/v1/openapi.json, through Django's WSGI application in this
process (the test database, no server): requests made from the schema, valid and not, each
answered without a 500 and as the schema documents it (status code, content type, body,
headers). Stateless (every operation on its own) and stateful (sequences that follow the
links between operations: open a ticket, then act on it by the reference it answered with).

Kept small (a few examples an operation, a seeded desk with a few tickets) so that the whole
file stays within about a minute: the suite has its time budget. Every operation runs with a
staff token and with a client token (the portal's rights, and the alert receivers' own)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from deskside.api import tokens
from deskside.api.models import Scope
from tests.api.conftest import open_ticket
from tests.people import People, make_people

SEED = 17
EXAMPLES = 10
STATEFUL_RUNS = 15


def _seeded() -> tuple[People, str]:
    people = make_people()
    for level in (1, 2, 3, 4):
        open_ticket(people.client, f"Level {level} trouble", level)
    open_ticket(people.other_client, "Globex's own", 2)
    return people, tokens.issue("fuzz", Scope.WRITE, user=people.agent).text


def _client_token(people: People) -> str:
    """A client's write token: the portal's rights through the API, and an alert receiver."""
    return tokens.issue("fuzz", Scope.WRITE, contact=people.client).text


CLIENT = "Claire@Acme.example"  # tests/people.py

# The token of the test that runs (each test has its own database, hence its own token).
CURRENT: dict[str, str] = {}


@pytest.fixture(params=["agent", "client"])
def token(request, db, monkeypatch) -> Iterator[str]:
    yield from _serving(monkeypatch, request.param)


@pytest.fixture
def agent_token(django_db_reset_sequences, monkeypatch) -> Iterator[str]:
    # Numbered from 1 whatever ran before: the sequences follow the links in the answers, and
    # on PostgreSQL (whose sequences a rollback does not reset) other tickets' numbers took
    # the derandomized runs elsewhere after the tests before them.
    yield from _serving(monkeypatch, "agent")


def _serving(monkeypatch: pytest.MonkeyPatch, who: str) -> Iterator[str]:
    # Schemathesis sends hundreds of requests a minute with one token: past the rate limit
    # every answer would be the same 429, which tests nothing.
    monkeypatch.setattr(tokens, "RATE_PER_MINUTE", 1_000_000)
    people, agent = _seeded()
    CURRENT["token"] = agent if who == "agent" else _client_token(people)
    # The WSGI handler closes the database connection after each request, which would end the
    # test's transaction on PostgreSQL; Django's own test client keeps it open the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield CURRENT["token"]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Read through the application itself (pytest-django has set Django up before collection).
schema: OpenApiSchema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application()
)


# A schema-valid request the protocol refuses (an action on a closed ticket, a contact nobody
# knows) is a documented 422, not a fault: the check that every valid request succeeds is left
# out. Every other check runs: no 5xx, and the status, content type, headers and body each as
# documented, invalid requests refused, the auth required.
EXCLUDED = [positive_data_acceptance]


@schema.auth(refresh_interval=None)
class Token:
    """The bearer token, given as the schema's auth: Schemathesis then knows the request's
    credentials are real, and sends its own wrong ones to see them refused."""

    def get(self, case: Any, context: Any) -> str:
        return CURRENT.get("token", "")

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    """A ticket is opened for a known contact (staff must name one): no generated address is
    one, and without a ticket opened the sequences would never reach the actions. Left alone
    where the contact is what a negative case made wrong (not text)."""
    opening = context.operation is not None and context.operation.label == "POST /api/v1/tickets"
    if opening and isinstance(body, dict) and isinstance(body.get("contact", ""), str):
        return {**body, "contact": CLIENT}
    return body


FAST = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@settings(FAST, max_examples=EXAMPLES, phases=[Phase.explicit, Phase.generate])
def test_every_operation_answers_as_documented(case: Any, token: str) -> None:
    case.call_and_validate(excluded_checks=EXCLUDED)


class Sequences(schema.as_state_machine()):  # type: ignore[misc]
    """Follows the links Schemathesis finds between operations: a ticket opened, then read,
    replied to and acted on by the reference the answer gave."""

    def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
        SEEN.append((case.operation.label, response.status_code))
        case.validate_response(response, excluded_checks=EXCLUDED, transport_kwargs=kwargs)


SEEN: list[tuple[str, int]] = []


def test_sequences_of_operations_answer_as_documented(agent_token: str) -> None:
    SEEN.clear()
    Sequences.run(settings=settings(FAST, max_examples=STATEFUL_RUNS, stateful_step_count=6))
    # The sequences got past the token: tickets were opened. (Which linked steps follow, and
    # whether one of them succeeds, is Schemathesis's choice and varies with the database.)
    assert ("POST /api/v1/tickets", 201) in SEEN, sorted(set(SEEN))
