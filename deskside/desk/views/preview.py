"""The mail an action would send the client, rendered without sending anything.

The close and resolve forms ask for it with htmx (a GET carrying the form's fields, never the
CSRF token) and show it under the form. The text is rendered by the same functions the actions
mail with (tickets.notices' drafts), so what the agent reads is what the client gets.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from deskside.accounts.access import staff_required
from deskside.desk.views.ticket import ticket_or_404
from deskside.tickets import notices
from deskside.tickets.models import CloseReason, Ticket

Preview = tuple[notices.Draft | None, str]  # the mail, or why there is none


def _close(ticket: Ticket, query: QueryDict) -> Preview:
    reason = query.get("reason", "")
    if reason not in CloseReason.values:
        return None, "Choose a reason to see what the client is sent."
    if reason != CloseReason.OUT_OF_SCOPE:
        return None, f"Closing as {CloseReason(reason).label.lower()} sends the client no mail."
    return notices.out_of_scope_draft(ticket, client_text=query.get("client_text", "")), ""


def _resolve(ticket: Ticket, query: QueryDict) -> Preview:
    resolution = query.get("resolution", "")
    if not resolution.strip():
        return None, "Write the resolution to see the mail."
    return notices.resolution_draft(ticket, resolution), ""


PREVIEWS: dict[str, Callable[[Ticket, QueryDict], Preview]] = {
    "close": _close,
    "resolve": _resolve,
}


@staff_required
@require_GET
def mail_preview(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    if action not in PREVIEWS:
        raise Http404(f"no preview for {action}")
    ticket = ticket_or_404(ref)
    draft, none = PREVIEWS[action](ticket, request.GET)
    return render(
        request, "desk/_mail_preview.html", {"ticket": ticket, "draft": draft, "none": none}
    )
