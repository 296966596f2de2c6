"""The composer saves its text here as the agent types (desk.js, debounced): one draft per user,
ticket and tab. The answer is the sentence the composer shows under the box."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.views.decorators.http import require_POST

from deskside.accounts.access import changes_tickets, staff_required
from deskside.desk import composer, drafts
from deskside.desk.models import DraftKind
from deskside.desk.views.ticket import ticket_or_404


def _said(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@staff_required
@require_POST
def save_draft(request: HttpRequest, ref: str, kind: str) -> HttpResponse:
    assert isinstance(request.user, User)
    if kind not in DraftKind.values:
        raise Http404(f"no composer tab {kind}")
    ticket = ticket_or_404(ref)
    if not changes_tickets(request.user):
        return _said("You can read tickets but not change them.", 403)
    if kind not in composer.offered(ticket, can_work=True):
        return _said("This ticket is closed: only an internal note can be written.", 409)
    text = request.POST.get("text", "").replace("\x00", "")  # PostgreSQL refuses NUL
    if len(text) > drafts.MOST_CHARS:
        return _said(f"Too long to keep as a draft (over {drafts.MOST_CHARS} characters).", 413)
    draft = drafts.save(request.user, ticket, DraftKind(kind), text)
    if draft is None:
        return _said("", 200)
    saved_at = format_date(timezone.localtime(draft.updated_at), "H:i")
    return _said(f"Draft saved at {saved_at}.", 200)
