"""Times and durations as the database keeps them, for reads of tens of thousands of rows.

On SQLite a datetime is naive UTC text and a duration an integer of microseconds; Django
converts each value it reads (a parse, a time zone, a lookup of the settings: ~5 µs), which was
most of a month's report at a large desk. Read through `stored`, the values come as the database
keeps them: text that sorts as the times do, compared as it is or parsed by `time_of` in C.
PostgreSQL's driver converts in C already: there `stored` is the column itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import CharField, F, Field
from django.db.models.functions import Cast


def stored(column: str, kind: type[Field[Any, Any]] = CharField) -> Any:
    """`column` as the database keeps it: on SQLite cast to text (a datetime) or to an integer
    (a duration, kind=BigIntegerField), which Django then does not convert."""
    if connection.vendor != "sqlite":
        return F(column)
    return Cast(column, kind())


def time_of(value: Any) -> datetime:
    """A datetime read through `stored`."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    assert isinstance(value, datetime)
    return value


def duration_of(value: Any) -> timedelta:
    """A duration read through `stored(column, BigIntegerField)`."""
    if isinstance(value, int):
        return timedelta(microseconds=value)
    assert isinstance(value, timedelta)
    return value
