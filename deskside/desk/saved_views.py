"""Saved views of the queue: a name for a set of filters and an order, per member of staff.

The only writer of SavedView. What is kept is the queue's query string with only the filters'
own parameters (never a page's bookmark), so a saved view always opens at its first page.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import QueryDict

from deskside.desk.forms import QueueFilterForm
from deskside.desk.models import SavedView

MOST_PER_PERSON = 20


class TooMany(Exception):
    """The person has MOST_PER_PERSON views already."""


def query_of(params: QueryDict) -> str:
    """The filters and order in `params`, as a query string (in the form's order)."""
    kept = QueryDict(mutable=True)
    for name in QueueFilterForm.base_fields:
        for value in params.getlist(name):
            if value:
                kept.appendlist(name, value)
    return kept.urlencode()


def of(user: User) -> list[SavedView]:
    return list(SavedView.objects.filter(user=user).only("pk", "name", "query"))


def save(user: User, name: str, params: QueryDict) -> SavedView:
    """Name the view `params` show; a view of the same name is replaced."""
    query = query_of(params)[: SavedView._meta.get_field("query").max_length]
    existing = SavedView.objects.filter(user=user, name=name).first()
    if existing is None and SavedView.objects.filter(user=user).count() >= MOST_PER_PERSON:
        raise TooMany
    view, _created = SavedView.objects.update_or_create(
        user=user, name=name, defaults={"query": query}
    )
    return view


def remove(user: User, pk: int) -> bool:
    """Remove one of `user`'s own views; False when there is none of that number."""
    deleted, _by_kind = SavedView.objects.filter(user=user, pk=pk).delete()
    return deleted > 0
