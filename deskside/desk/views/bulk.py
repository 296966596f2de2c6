"""The queue's bulk form posts here: one action on each ticked ticket (deskside/desk/bulk.py).

Post/redirect/get: the outcome waits in the session and the queue shows it once, above the list
it came from.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from deskside.accounts.access import changes_tickets, staff_required
from deskside.desk import bulk
from deskside.desk.forms import BulkForm

SESSION_KEY = "desk_bulk"


@staff_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = BulkForm(request.POST)
    back = reverse("desk:queue") + _query(request.POST.get("back", ""))
    if not changes_tickets(request.user):
        return HttpResponse(gettext("You can read tickets but not change them."), status=403)
    if not form.is_valid():
        request.session[SESSION_KEY] = {"errors": _errors(form)}
        return redirect(back)
    data = form.cleaned_data
    tickets = bulk.chosen_tickets(data["ticket"])
    outcome = bulk.run(data["action"], tickets, data, request.user)
    request.session[SESSION_KEY] = outcome.as_session()
    return redirect(back)


def _query(back: str) -> str:
    """The queue's own query string, and nothing that could lead elsewhere."""
    back = back.lstrip("?")
    return f"?{back}" if back and "/" not in back and "\\" not in back else ""


def _errors(form: BulkForm) -> list[str]:
    return [str(message) for messages in form.errors.values() for message in messages]


def take_outcome(request: HttpRequest) -> dict[str, object] | None:
    """The outcome of the last bulk action, shown once (by the queue)."""
    found = request.session.pop(SESSION_KEY, None) if SESSION_KEY in request.session else None
    return found if isinstance(found, dict) else None
