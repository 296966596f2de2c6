"""Words for the protocol's values as a client reads them, in the active language."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from deskside.tickets.models import Status

STATUS: dict[str, Promise] = {
    Status.NEW: _("Received"),
    Status.OPEN: _("In progress"),
    Status.WAITING_ON_CLIENT: _("Waiting for you"),
    Status.RESOLVED: _("Resolved"),
    Status.CLOSED: _("Closed"),
}


def status_label(status: str) -> str:
    return str(STATUS.get(status, status))
