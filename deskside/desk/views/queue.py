"""The queue page: what to do next, by effort and then by the nearest deadline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from deskside.accounts.access import changes_tickets, staff_required
from deskside.accounts.models import Organisation
from deskside.core.levels import LEVELS
from deskside.desk import queue as desk_queue
from deskside.desk import saved_views
from deskside.desk.forms import BulkForm, QueueFilterForm, assignable_choices
from deskside.desk.views.bulk import take_outcome
from deskside.tickets.queue import Bookmark, Filters


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    now = timezone.now()
    form = QueueFilterForm(request.GET, staff=assignable_choices())
    filters = form.filters()
    after = Bookmark.decode(request.GET.get("after", ""))
    page = desk_queue.page(filters, request.user, now, after)
    counts = desk_queue.level_counts(filters, request.user, now)
    organisation = _organisation(filters, page)
    untaken, untaken_more = desk_queue.untaken_urgent()
    return render(
        request,
        "desk/queue.html",
        {
            "untaken": untaken,
            "untaken_more": untaken_more,
            "form": form,
            "filters": filters,
            "finished": filters.finished(),
            "page": page,
            "counts": [
                (level, counts.get(level, 0), _with(request, level=str(level), after=None))
                for level in LEVELS
            ],
            "total": sum(counts.values()),
            "all_levels_query": _with(request, level=None, after=None),
            "organisation": organisation,
            "all_organisations_query": _with(request, organisation=None, after=None),
            "next_query": _with(request, after=page.next.encode()) if page.next else "",
            "first_query": _with(request, after=None) if after else "",
            # Bulk actions for whoever changes tickets (the role is read with the user: no query).
            "bulk_form": BulkForm() if changes_tickets(request.user) else None,
            "bulk_outcome": take_outcome(request),
            "saved_views": saved_views.of(request.user),
            "current_query": saved_views.query_of(request.GET),
            "most_views": saved_views.MOST_PER_PERSON,
        },
    )


@staff_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Name the view the queue shows (its filters and order arrive as the form's fields)."""
    assert isinstance(request.user, User)
    name = " ".join(request.POST.get("name", "").replace("\x00", "").split())[:60]
    query = QueryDict(request.POST.get("query", ""))
    if not name:
        messages.error(request, "Give the view a name to save it.")
    else:
        try:
            saved_views.save(request.user, name, query)
        except saved_views.TooMany:
            messages.error(
                request,
                f"You have {saved_views.MOST_PER_PERSON} views already: remove one first.",
            )
        else:
            messages.success(request, f"View “{name}” saved: it is listed above the filters.")
    return redirect(f"{reverse('desk:queue')}?{saved_views.query_of(query)}")


@staff_required
@require_POST
def remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    assert isinstance(request.user, User)
    if not saved_views.remove(request.user, pk):
        raise Http404("no such view of yours")
    messages.success(request, "View removed.")
    return redirect("desk:queue")


def _organisation(filters: Filters, page: desk_queue.Page) -> Organisation | None:
    """The organisation the queue is filtered on, for its chip: read with the page's rows when
    there are any (each row is one of its tickets), else by a query of its own."""
    if filters.organisation is None:
        return None
    for row in page.rows:
        if row.ticket.organisation is not None:
            return row.ticket.organisation
    return Organisation.objects.filter(pk=filters.organisation).first()


def _with(request: HttpRequest, **changes: str | None) -> str:
    """The current query string with some parameters changed (None removes one)."""
    query = request.GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return query.urlencode()
