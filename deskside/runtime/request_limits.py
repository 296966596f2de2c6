"""Request bodies bounded before anything reads them.

Django reads a multipart body to its end (into temporary files) as soon as anything asks for
request.POST, and the CSRF check asks before any view can say no: a 300 MB upload, even from
someone who is not signed in, was read whole before it was refused. Here the length a request
declares is weighed first, and a request over the limit is answered 413 with nothing read:

- signed in: the most files one message may carry (tickets/uploads.py) and room for the text
  fields and the multipart framing;
- not signed in: a small form (the sign-in pages are all there is);
- a request to the API with a bearer token (checked later, by the API): API_BODY, room for a
  ticket's text or a monitoring system's batch of alerts, answered as a problem (RFC 9457).

A body without a declared length (chunked) is refused with 411: Django would read it as empty
anyway (it reads CONTENT_LENGTH bytes, none here), so refusing says plainly what happened.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deskside.api import problems
from deskside.tickets.uploads import MOST_BYTES_PER_MESSAGE

# Text fields (a reply holds up to 50,000 characters, up to 200 kB in UTF-8), a subject, the
# CSRF token and the multipart boundaries and part headers of ten files.
FORM_ALLOWANCE = 1024 * 1024
SIGNED_IN_BODY = MOST_BYTES_PER_MESSAGE + FORM_ALLOWANCE
ANONYMOUS_BODY = 64 * 1024
API_BODY = 1024 * 1024
TOO_LARGE, LENGTH_REQUIRED = 413, 411


class BoundedBodies:
    """Middleware, after AuthenticationMiddleware: it needs to know who is signed in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return refusal(request) or self.get_response(request)


def body_limit(request: HttpRequest) -> int:
    if request.user.is_authenticated:
        return SIGNED_IN_BODY
    return API_BODY if _api(request) and "HTTP_AUTHORIZATION" in request.META else ANONYMOUS_BODY


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(problems.API_PREFIX)


def refusal(request: HttpRequest) -> HttpResponse | None:
    """The answer to a body too large, or of unknown length; None when it may be read."""
    declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
    if not declared:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return _refused(request, LENGTH_REQUIRED)
        return None
    if not declared.isdigit() or int(declared) > body_limit(request):
        return _refused(request, TOO_LARGE)
    return None


def _refused(request: HttpRequest, status: int) -> HttpResponse:
    if _api(request):
        if status == LENGTH_REQUIRED:
            return problems.response(status, "length_required", "Send a Content-Length.")
        limit = body_limit(request)
        return problems.response(status, "too_large", f"The body is over {limit} bytes.")
    context = {"limit": body_limit(request), "length_missing": status == LENGTH_REQUIRED}
    return render(request, "413.html", context, status=status)
