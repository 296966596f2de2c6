"""Keyset pages by id, for the lists that have no order of their own (organisations, held
mail, visits): a page and the id to pass for the next one, None on the last."""

from __future__ import annotations

from django.db.models import Model, QuerySet
from ninja import Field

LIMIT = Field(default=50, ge=1, le=200)
LAST_ID = Field(default=None, ge=0, le=2**63 - 1, description="The last id of the page before.")


def by_id[M: Model](
    rows: QuerySet[M], last: int | None, limit: int, *, newest: bool = False
) -> tuple[list[M], int | None]:
    """Up to `limit` rows after id `last` (before it, `newest` first), and the next `last`."""
    if last is not None:
        rows = rows.filter(id__lt=last) if newest else rows.filter(id__gt=last)
    found = list(rows.order_by("-id" if newest else "id")[: limit + 1])
    shown = found[:limit]
    return shown, shown[-1].pk if len(found) > limit else None
