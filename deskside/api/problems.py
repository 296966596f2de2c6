"""Errors as RFC 9457 problem details: `application/problem+json` with type, title, status,
detail and a stable `code` that a program can branch on (docs/api.md, Errors).

`type` is a URI reference to the code's entry on the API's reference page, relative to the
site, so that a person who meets a problem can read what it means.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from ninja import Schema

from deskside.tickets.actions import ActionError

CONTENT_TYPE = "application/problem+json"
API_PREFIX = "/api/v1/"
REFERENCE = "/api/v1/reference"

# Every code the API answers with: its title (the same for every occurrence, RFC 9457 3.1.3)
# and what it means (shown on the reference page).
CODES: dict[str, tuple[str, str]] = {
    "not_authenticated": (
        "Not authenticated",
        "No valid token or session: a missing, unknown or revoked token.",
    ),
    "csrf_failed": (
        "CSRF check failed",
        "A session request that changes something came without its CSRF token.",
    ),
    "read_only": (
        "Read only",
        "The token's scope is read, or its owner may read tickets but not change them.",
    ),
    "staff_only": ("Staff only", "Only a member of staff may do this (a client token may not)."),
    "client_token_only": (
        "Client token only",
        "Alerts are received with a client token of an organisation, whose tickets they open.",
    ),
    "client_only": (
        "Client only",
        "Only the client answers proposed steps (refusal, steps worked): a client token.",
    ),
    "leads_only": ("Leads only", "The desk's figures are for leads."),
    "not_found": ("Not found", "Nothing by that name that you may see."),
    "invalid_request": (
        "Invalid request",
        "The request does not match the schema; `errors` says where.",
    ),
    "action_refused": (
        "Action refused",
        "The protocol does not allow this change now; `code` names the rule (e.g. "
        "`already_closed`, `no_severity`) and `detail` says why.",
    ),
    "rate_limited": (
        "Rate limited",
        "Too many requests with this token this minute; see Retry-After.",
    ),
    "method_not_allowed": ("Method not allowed", "The path exists, not with this method."),
    "too_large": (
        "Too large",
        "The body is over the limit: 1 MiB with a token, 64 kB without one.",
    ),
    "length_required": ("Length required", "A body must come with its Content-Length."),
}


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    code: str


class ApiProblem(Exception):
    """Raised by a view to answer with a problem (other than the ones below)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class RateLimited(ApiProblem):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate_limited", f"Too many requests: try again in {retry_after} s.")
        self.retry_after = retry_after


def response(status: int, code: str, detail: str, **extra: Any) -> HttpResponse:
    known = code in CODES
    body = {
        # An action's own code (deskside/core/errors.py) is one of the refusals the reference
        # lists under action_refused; its title is the code in words, as stable as the code.
        "type": f"{REFERENCE}#problem-{code if known else 'action_refused'}",
        "title": CODES[code][0] if known else code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


def of_action_error(error: ActionError) -> HttpResponse:
    """A refused action: the stable code of the rule that refused it, and its sentence."""
    return response(422, str(error.code), str(error))


def of_api_problem(problem: ApiProblem) -> HttpResponse:
    answer = response(problem.status, problem.code, problem.detail)
    if isinstance(problem, RateLimited):
        answer["Retry-After"] = str(problem.retry_after)
    return answer


# For the schema: every operation may answer with these.
COMMON: dict[int, type[Problem]] = {401: Problem, 404: Problem, 422: Problem, 429: Problem}
# And what sends a body: 403 (a read token, a client's token on a staff action) and 413.
WRITES: dict[int, type[Problem]] = {**COMMON, 403: Problem, 413: Problem}
