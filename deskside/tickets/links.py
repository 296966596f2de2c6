"""Absolute links for mail: a mail is read far from the request that caused it, so every link
starts with the public base URL (DESKSIDE_BASE_URL), never with a request's Host header."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from deskside.tickets.models import Ticket


def absolute(path: str) -> str:
    return f"{settings.DESKSIDE_BASE_URL}{path}"


def in_desk(ticket: Ticket) -> str:
    return absolute(reverse("desk:ticket", args=[ticket.ref]))


def in_portal(ticket: Ticket) -> str:
    return absolute(reverse("portal:ticket", args=[ticket.ref]))
