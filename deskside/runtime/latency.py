"""How long the web server takes to answer: one histogram, kept by a middleware.

`deskside run` gives gunicorn a folder of its own (PROMETHEUS_MULTIPROC_DIR, see
deskside/runtime/gunicorn_conf.py) where every worker writes its observations, and /metrics sums
them: whichever worker answers the scrape, the histogram is the whole web server's, and it goes
on growing when a worker is replaced. Without that folder (gunicorn started otherwise, tests)
each process keeps its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable

# A `_created` series per histogram says when this process started; across workers it means
# nothing, and the multiprocess mode has none.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram(
    "deskside_http_request_duration_seconds",
    "Time from the request reaching Deskside to its answer, by part of the site.",
    ["surface"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
# The first part of the path names the surface; a small fixed set keeps the series few.
SURFACES = {
    "desk": "desk",
    "portal": "portal",
    "admin": "admin",
    "static": "static",
    "health": "probe",
    "metrics": "probe",
}


def surface(path: str) -> str:
    return SURFACES.get(path.lstrip("/").split("/", 1)[0], "other")


class RequestLatency:
    """Middleware, first in the list: it times the whole stack below it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            return self.get_response(request)
        finally:
            REQUEST_SECONDS.labels(surface(request.path)).observe(time.perf_counter() - started)


def collector() -> Collector:
    """The histogram as /metrics reads it: summed over the folder's processes, or this one's."""
    folder = os.environ.get(MULTIPROCESS_DIR)
    if folder:
        return MultiProcessCollector(None, path=folder)  # type: ignore[no-untyped-call]
    return REGISTRY
