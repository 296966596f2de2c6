"""Rate limits on signing in: link requests and password attempts, per address and per IP.

Attempts are rows in the database (SignInAttempt), not entries in Django's cache: the default
cache lives in one process, and `deskside run` starts several web workers, so a per-process
count would multiply the limit. The count is read before the new row is written; two requests
racing at the very limit may both pass, which bounds the slack at the number of workers.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from deskside.portal.models import SignInAttempt

WINDOW = timedelta(minutes=15)
PER_ADDRESS = 5
# Higher than per address: the colleagues of one office often share one public address (NAT).
PER_IP = 20


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, unless that is a trusted reverse proxy
    (DESKSIDE_TRUSTED_PROXIES); then X-Forwarded-For read from the right, past the trusted
    proxies, to the first address one of them saw. What lies left of it was written by the
    client and proves nothing. Behind a proxy without this, every client would share the
    proxy's address and its limit."""
    address = str(request.META.get("REMOTE_ADDR") or "unknown")
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if _trusted(address) and forwarded:
        for hop in reversed([part.strip() for part in forwarded.split(",")]):
            if not _ip(hop):
                break  # not an address: a proxy would not write it; keep the last one we trust
            address = hop
            if not _trusted(hop):
                break
    return address[:45]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(text: str) -> bool:
    ip = _ip(text)
    return ip is not None and any(ip in network for network in settings.DESKSIDE_TRUSTED_PROXIES)


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
