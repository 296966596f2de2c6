"""The OpenAPI 3.1 schema, the reference page under the CSP, and problem details."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts

from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/tickets": {"get", "post"},
    "/api/v1/tickets/{ref}": {"get"},
    "/api/v1/tickets/{ref}/replies": {"post"},
    "/api/v1/tickets/{ref}/notes": {"post"},
    "/api/v1/tickets/{ref}/assign": {"post"},
    "/api/v1/tickets/{ref}/take": {"post"},
    "/api/v1/tickets/{ref}/close": {"post"},
    "/api/v1/tickets/{ref}/reopen": {"post"},
    "/api/v1/tickets/{ref}/resolve": {"post"},
    "/api/v1/tickets/{ref}/wait": {"post"},
    "/api/v1/tickets/{ref}/reassess": {"post"},
    "/api/v1/tickets/{ref}/milestone": {"post"},
    "/api/v1/tickets/{ref}/steps": {"post"},
    "/api/v1/tickets/{ref}/merge": {"post"},
    "/api/v1/tickets/{ref}/links": {"post"},
    "/api/v1/tickets/{ref}/unlink": {"post"},
    "/api/v1/tickets/{ref}/refusal": {"post"},
    "/api/v1/tickets/{ref}/steps-worked": {"post"},
    "/api/v1/tickets/{ref}/attachments/{token}": {"get"},
    "/api/v1/organisations": {"get"},
    "/api/v1/organisations/{id}": {"get"},
    "/api/v1/contacts": {"get"},
    "/api/v1/contacts/{id}": {"get"},
    "/api/v1/held-mail": {"get"},
    "/api/v1/held-mail/{id}": {"get"},
    "/api/v1/visits": {"get"},
    "/api/v1/tickets/{ref}/visits": {"get"},
    "/api/v1/doc-changes": {"get"},
    "/api/v1/reports/month": {"get"},
    "/api/v1/alerts/alertmanager": {"post"},
    "/api/v1/alerts/grafana": {"post"},
    "/api/v1/webhooks": {"get", "post"},
    "/api/v1/webhooks/{pk}": {"get", "patch", "delete"},
    "/api/v1/webhooks/{pk}/secret": {"post"},
    "/api/v1/webhooks/{pk}/deliveries": {"get"},
    "/api/v1/webhooks/{pk}/deliveries/{delivery}/send-again": {"post"},
}


def test_schema_is_valid_openapi_31_and_lists_every_path() -> None:
    answer = Client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises on any deviation from the OpenAPI 3.1 schema
    listed = {path: set(ops) for path, ops in schema["paths"].items()}
    assert listed == PATHS
    assert {"BearerToken", "StaffSession"} <= set(schema["components"]["securitySchemes"])


def test_every_api_route_is_in_the_schema() -> None:
    """A route added without the schema knowing fails here, not in a client's code."""
    routes = set()
    for top in get_resolver().url_patterns:
        if isinstance(top, URLResolver) and str(top.pattern) == "api/v1/":
            routes |= set(_leaves(top, "/api/v1/"))
    # The schema itself, its page, ninja's root (by which it knows its prefix), the catch-all.
    routes -= {"/api/v1/openapi.json", "/api/v1/reference", "/api/v1/", "/api/v1/^(?P{rest}.*)$"}
    assert routes == set(PATHS)


def _leaves(resolver: URLResolver, prefix: str) -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        pattern = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(entry.pattern))
        if isinstance(entry, URLPattern):
            found.append(prefix + pattern)
        else:
            found += _leaves(entry, prefix + pattern)
    return found


def test_reference_page_is_served_under_the_csp_without_script() -> None:
    answer = Client().get("/api/v1/reference")
    assert answer.status_code == 200
    csp = answer["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = answer.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert inline == []
    assert "http://" not in html.replace("http://testserver", "")
    assert "https://" not in html
    for path in PATHS:
        assert path in html
    assert 'id="problem-rate_limited"' in html


def test_problem_details_shape(people, agent_api: Api) -> None:
    answer = agent_api.get("/tickets/CCS-999999")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    body = answer.json()
    assert set(body) >= {"type", "title", "status", "detail", "code"}
    assert body["status"] == 404 and body["title"] == "Not found" and body["code"] == "not_found"
    assert body["type"] == "/api/v1/reference#problem-not_found"


def test_validation_errors_are_problems_with_where(people, agent_api: Api) -> None:
    answer = agent_api.post("/tickets", {"subject": "", "text": 3})
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "invalid_request"
    assert any("subject" in e["loc"] for e in body["errors"])


def test_unknown_api_path_is_a_problem(people, agent_api: Api) -> None:
    answer = agent_api.get("/nothing-here")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"


def test_schema_names_the_problem_answers() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    answers = schema["paths"]["/api/v1/tickets/{ref}"]["get"]["responses"]
    assert {"200", "401", "404", "429"} <= set(answers)
    assert consts  # the validator knows 3.1


def test_a_body_over_the_limit_is_a_413_problem_and_a_batch_of_alerts_fits(
    people, agent_api: Api
) -> None:
    """A token's request may carry 1 MiB (a large batch of alerts): more is refused unread,
    as a problem, not the desk's HTML page."""
    from deskside.runtime.request_limits import API_BODY

    big = {"subject": "Big", "text": "x" * API_BODY, "level": 3, "contact": "claire@acme.example"}
    answer = agent_api.post("/tickets", big)
    assert answer.status_code == 413
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "too_large"
    fits = {**big, "text": "x" * 50_000}
    assert agent_api.post("/tickets", fits).status_code == 201
    too_long = {**big, "text": "x" * 50_001}  # over the text's limit, under the body's
    assert agent_api.post("/tickets", too_long).json()["code"] == "invalid_request"


def test_a_nul_in_any_text_is_a_422_not_a_database_error(people, agent_api: Api) -> None:
    body = {"subject": "Hi", "text": "a\x00b", "level": 3, "contact": "claire@acme.example"}
    answer = agent_api.post("/tickets", body)
    assert answer.status_code == 422
    assert any("text" in e["loc"] for e in answer.json()["errors"])
    assert agent_api.get("/tickets", assignee="bo\x00b").status_code == 422
