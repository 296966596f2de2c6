"""Limits on signing in, one mechanism for the portal, the desk and the admin.

The rules (README.md, Security):

- Wrong passwords are counted per account and client address, and per client address. A
  client that has typed 5 wrong passwords for one account in 15 minutes, or 20 for any
  accounts, waits until the window has passed, its right password included. A stranger can
  therefore lock out only their own address, never the real person elsewhere.
- Against guessing spread over many addresses, an account with 50 wrong passwords in the window
  accepts one more try only from an address that has not failed for it yet: a client that has
  not failed is never refused.
- Sign-in links asked for are counted separately and never block a password: 5 per address
  from one client, 20 from one client, and 10 per address from everyone. Past the last bound
  no more mail goes out, and the mailbox already holds the links that were asked for.

Every count is of what was typed, whether or not the account exists, so that a refusal says
nothing about who has an account. Attempts are rows in the database (SignInAttempt): the
default cache lives in one process, and `deskside run` starts several web workers. The count is
read before the new row is written; two requests racing at the very limit may both pass, which
bounds the slack at the number of workers.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from deskside.accounts.models import SignInAttempt, SignInKind
from deskside.core.limits import ADDRESS

WINDOW = timedelta(minutes=15)
PASSWORDS_PER_ACCOUNT_AND_CLIENT = 5
# Higher than per account: the colleagues of one office often share one public address (NAT).
PASSWORDS_PER_CLIENT = 20
PASSWORDS_PER_ACCOUNT = 50
LINKS_PER_ADDRESS_AND_CLIENT = 5
LINKS_PER_CLIENT = 20
LINKS_PER_ADDRESS = 10


class Refused(StrEnum):
    """Why a sign-in attempt waits: too many from this client, or links enough for the address."""

    CLIENT = "client"
    ADDRESS = "address"


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


def staff_account(username: str) -> str:
    """The account a desk or admin sign-in names; apart from client addresses."""
    return f"staff:{username}"


def _key(account: str) -> str:
    return account.strip().lower()[:ADDRESS]


def _recent(kind: SignInKind) -> QuerySet[SignInAttempt]:
    return SignInAttempt.objects.filter(kind=kind, created_at__gte=timezone.now() - WINDOW)


def password_refused(request: HttpRequest, account: str) -> Refused | None:
    """Why this client may not try a password for `account` now, or None if it may."""
    recent = _recent(SignInKind.PASSWORD)
    mine = recent.filter(ip=client_ip(request))
    if mine.count() >= PASSWORDS_PER_CLIENT:
        return Refused.CLIENT
    failed_here = mine.filter(account=_key(account)).count()
    if failed_here >= PASSWORDS_PER_ACCOUNT_AND_CLIENT:
        return Refused.CLIENT
    if failed_here and recent.filter(account=_key(account)).count() >= PASSWORDS_PER_ACCOUNT:
        return Refused.CLIENT
    return None


def link_refused(request: HttpRequest, address: str) -> Refused | None:
    """Why no sign-in link may be asked for `address` from this client now, or None."""
    recent = _recent(SignInKind.LINK)
    mine = recent.filter(ip=client_ip(request))
    if mine.count() >= LINKS_PER_CLIENT:
        return Refused.CLIENT
    if mine.filter(account=_key(address)).count() >= LINKS_PER_ADDRESS_AND_CLIENT:
        return Refused.CLIENT
    if recent.filter(account=_key(address)).count() >= LINKS_PER_ADDRESS:
        return Refused.ADDRESS
    return None


def record(request: HttpRequest, kind: SignInKind, account: str) -> None:
    """Count a wrong password or a link asked for."""
    now = timezone.now()
    # Old rows have no use left; deleting them here keeps the table as small as one window.
    SignInAttempt.objects.filter(created_at__lt=now - WINDOW).delete()
    SignInAttempt.objects.create(
        kind=kind, account=_key(account), ip=client_ip(request), created_at=now
    )
