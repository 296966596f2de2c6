"""The NinjaAPI of /api/v1/: its authentication, routers and problem-details answers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from deskside.api import problems
from deskside.api.alerts import router as alerts
from deskside.api.attachments import router as attachments
from deskside.api.auth import AUTH
from deskside.api.cooperation import router as cooperation
from deskside.api.doc_changes import router as doc_changes
from deskside.api.held_mail import router as held_mail
from deskside.api.openapi import DocumentedApi
from deskside.api.organisations import router as organisations
from deskside.api.reports import router as reports
from deskside.api.tickets import router as tickets
from deskside.api.visits import router as visits
from deskside.api.webhooks import router as webhooks
from deskside.tickets.actions import ActionError

api = DocumentedApi(
    title="Deskside API",
    version="1",
    description="Tickets under the ccs2 support protocol (docs/api.md).",
    urls_namespace="api-v1",
    auth=AUTH,
    # Swagger's page would need a large script bundle; ours is rendered on the server from
    # the schema (deskside/api/reference.py), so that the strict CSP needs no exception.
    docs_url=None,
)
api.add_router("/", tickets)
api.add_router("/", alerts)
api.add_router("/", webhooks)
api.add_router("/", cooperation)
api.add_router("/", attachments)
api.add_router("/", organisations)
api.add_router("/", held_mail)
api.add_router("/", visits)
api.add_router("/", doc_changes)
api.add_router("/", reports)


def _authentication(request: HttpRequest, error: object) -> HttpResponse:
    answer = problems.response(401, "not_authenticated", "A valid bearer token is needed.")
    answer["WWW-Authenticate"] = 'Bearer realm="deskside"'
    return answer


def _validation(request: HttpRequest, error: object) -> HttpResponse:
    assert isinstance(error, ValidationError)
    errors = [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in error.errors
    ]
    return problems.response(
        422, "invalid_request", "The request does not match the schema.", errors=errors
    )


def _http_error(request: HttpRequest, error: object) -> HttpResponse:
    assert isinstance(error, HttpError)
    if error.status_code == 403 and "CSRF" in str(error):
        return problems.response(403, "csrf_failed", "CSRF token missing or wrong.")
    if error.status_code == 400:
        # A body that is not JSON at all ("Cannot parse request body") fails the schema as
        # much as one with a wrong field: the same 422, the one status the schema documents.
        return problems.response(422, "invalid_request", str(error), errors=[])
    code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "invalid_request")
    return problems.response(error.status_code, code, str(error))


def _not_found(request: HttpRequest, error: object) -> HttpResponse:
    return problems.response(404, "not_found", "Nothing here that you may see.")


def _action(request: HttpRequest, error: object) -> HttpResponse:
    assert isinstance(error, ActionError)
    return problems.of_action_error(error)


def _problem(request: HttpRequest, error: object) -> HttpResponse:
    assert isinstance(error, problems.ApiProblem)
    return problems.of_api_problem(error)


api.add_exception_handler(AuthenticationError, _authentication)
api.add_exception_handler(ValidationError, _validation)
api.add_exception_handler(HttpError, _http_error)
api.add_exception_handler(Http404, _not_found)
api.add_exception_handler(ActionError, _action)
api.add_exception_handler(problems.ApiProblem, _problem)
