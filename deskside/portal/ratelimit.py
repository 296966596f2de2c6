"""Rate limits on signing in: link requests and password attempts, per address and per IP.

Attempts are rows in the database (SignInAttempt), not entries in Django's cache: the default
cache lives in one process, and `deskside run` starts several web workers, so a per-process
count would multiply the limit. The count is read before the new row is written; two requests
racing at the very limit may both pass, which bounds the slack at the number of workers.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from deskside.portal.models import SignInAttempt

WINDOW = timedelta(minutes=15)
PER_ADDRESS = 5
# Higher than per address: the colleagues of one office often share one public address (NAT).
PER_IP = 20


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is written by the client unless a trusted proxy sets it.
    return str(request.META.get("REMOTE_ADDR") or "unknown")[:45]


def allowed(request: HttpRequest, address: str) -> bool:
    """Whether one more attempt for `address` from this client is within the limits."""
    since = timezone.now() - WINDOW
    recent = SignInAttempt.objects.filter(created_at__gte=since)
    if recent.filter(address=address.strip().lower()[:254]).count() >= PER_ADDRESS:
        return False
    return recent.filter(ip=client_ip(request)).count() < PER_IP


def record(request: HttpRequest, address: str) -> None:
    now = timezone.now()
    # Old rows have no use left; deleting them here keeps the table as small as one window.
    SignInAttempt.objects.filter(created_at__lt=now - WINDOW).delete()
    SignInAttempt.objects.create(
        address=address.strip().lower()[:254], ip=client_ip(request), created_at=now
    )
