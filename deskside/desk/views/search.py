"""Full-text search over subjects and messages; a ticket reference goes straight to the ticket."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from deskside.accounts.access import staff_required
from deskside.desk.queue import rows_for
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import format_ref, parse_ref
from deskside.tickets.search import search_tickets

RESULTS = 50


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL
    pk = parse_ref(query)
    if pk is not None and Ticket.objects.filter(pk=pk).exists():
        return redirect("desk:ticket", ref=format_ref(pk))
    ids = search_tickets(query, RESULTS) if query else []
    found = Ticket.objects.select_related("contact", "organisation", "assignee").in_bulk(ids)
    tickets = [found[pk] for pk in ids if pk in found]
    return render(
        request,
        "desk/search.html",
        {"query": query, "rows": rows_for(tickets, timezone.now()), "limit": RESULTS},
    )
