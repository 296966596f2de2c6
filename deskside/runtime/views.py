"""What the desk says about itself: readiness (/health/ready) and metrics (/metrics)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from deskside.runtime import health, metrics

NOT_READY = 503


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """200 when every check is within its limit, else 503 with the failing ones named."""
    checks = health.readiness()
    failing = [check.name for check in checks if not check.ok]
    answer = JsonResponse(
        {
            "ready": not failing,
            "failing": failing,
            "checks": {check.name: check.as_dict() for check in checks},
        },
        status=NOT_READY if failing else 200,
    )
    # A 503 here is an answer, not a failure of the request: without this Django logs an ERROR
    # for each one, and a balancer asking every few seconds would fill the log.
    answer._has_been_logged = True  # type: ignore[attr-defined]
    return answer


@never_cache
def exposition(request: HttpRequest) -> HttpResponse:
    if not metrics.allowed(request):
        return _refused(request)
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


def _refused(request: HttpRequest) -> HttpResponse:
    if not settings.DESKSIDE_METRICS_TOKEN:
        return HttpResponse(
            "Metrics are served to this machine only (set DESKSIDE_METRICS_TOKEN to allow a "
            "bearer token).\n",
            status=403,
            content_type="text/plain",
        )
    answer = HttpResponse(
        "Metrics need the bearer token of DESKSIDE_METRICS_TOKEN from another machine.\n",
        status=401,
        content_type="text/plain",
    )
    answer["WWW-Authenticate"] = 'Bearer realm="deskside metrics"'
    return answer
