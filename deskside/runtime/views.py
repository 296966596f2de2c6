"""What the desk says about itself: readiness (/health/ready)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from deskside.runtime import health

NOT_READY = 503


@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """200 when every check is within its limit, else 503 with the failing ones named."""
    checks = health.readiness()
    failing = [check.name for check in checks if not check.ok]
    return JsonResponse(
        {
            "ready": not failing,
            "failing": failing,
            "checks": {check.name: check.as_dict() for check in checks},
        },
        status=NOT_READY if failing else 200,
    )
