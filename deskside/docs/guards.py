"""Checks other surfaces ask before a change: here, whether a ticket may close as answered."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from deskside.core.errors import ErrorCode
from deskside.core.levels import DOCUMENTATION_LEVEL
from deskside.docs.models import DocChange
from deskside.tickets.errors import ActionError
from deskside.tickets.models import CloseReason, Ticket


class DocError(ActionError):
    """A documentation change that is not allowed; the message says why, for a person."""


def check_close(ticket: Ticket, reason: CloseReason | str) -> DocError | None:
    """Why `ticket` may not close for `reason`, or None when it may.

    A level-4 ticket ends with the documentation it changed (docs/protocol.md, Documentation
    changes): closing it as
    answered needs at least one documentation change, planned or done, or a recorded "no change
    needed". Other reasons (duplicate, withdrawn, out of scope…) are not answers and pass."""
    if reason != CloseReason.ANSWERED or ticket.severity != DOCUMENTATION_LEVEL:
        return None
    if DocChange.objects.filter(ticket=ticket).exists():
        return None
    return DocError(
        ErrorCode.DOCS_REQUIRED,
        _(
            "%(ref)s is a level-4 ticket: before closing it as answered, record the "
            "documentation changes it leads to (design doc or ops doc), or that no change is "
            "needed and why."
        ),
        ref=ticket.ref,
    )
