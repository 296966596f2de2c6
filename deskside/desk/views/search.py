"""Search: a ticket reference goes straight to the ticket; a query that starts a client's
address or name lists that client's tickets, newest first; other queries (or `words=1`) are
full-text searches in subjects and messages, best first."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from deskside.accounts.access import staff_required
from deskside.accounts.models import Contact
from deskside.desk.queue import rows_for
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import format_ref, parse_ref
from deskside.tickets.search import CLIENTS, matching_clients, newest_tickets_of, search_tickets

RESULTS = 50
ROW_RELATED = ("contact", "organisation", "assignee")


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL
    pk = parse_ref(query)
    if pk is not None and Ticket.objects.filter(pk=pk).exists():
        return redirect("desk:ticket", ref=format_ref(pk))
    words = request.GET.get("words") == "1"
    # A client's name is in every mail they signed: when the query names a client, their
    # tickets are the answer, and the words are one link away.
    clients = matching_clients(query) if query and not words else []
    tickets = _tickets_of(clients) if clients else _with_words(query)
    return render(
        request,
        "desk/search.html",
        {
            "query": query,
            "clients": clients,
            "more_clients": len(clients) == CLIENTS,
            "words_query": urlencode({"q": query, "words": "1"}),
            "rows": rows_for(tickets, timezone.now()),
            "limit": RESULTS,
        },
    )


def _tickets_of(clients: list[Contact]) -> list[Ticket]:
    found = Ticket.objects.select_related(*ROW_RELATED).filter(
        pk__in=newest_tickets_of(clients, RESULTS)
    )
    return sorted(found, key=lambda ticket: ticket.pk, reverse=True)


def _with_words(query: str) -> list[Ticket]:
    ids = search_tickets(query, RESULTS) if query else []
    found = Ticket.objects.select_related(*ROW_RELATED).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]
