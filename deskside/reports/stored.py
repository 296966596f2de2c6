"""Times and durations in a form cheap to read, for reads of tens of thousands of rows.

On SQLite a datetime is naive UTC text and a duration an integer of microseconds; Django
converts each value it reads (a parse, a time zone, a lookup of the settings: ~5 µs), which was
most of a month's report at a large desk. Read through `stored`, the values come as the database
keeps them: text that sorts as the times do, compared as it is or parsed by `time_of` in C.
On PostgreSQL the driver parses each timestamp's text in Python (~3 µs, and an aware datetime
compares slowly): there `stored` reads a time as whole microseconds since 1970, an integer,
which sorts as the times do too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, F, Field, Func
from django.db.models.functions import Cast

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class _Microseconds(Func):
    """PostgreSQL: a timestamp as whole microseconds since 1970 (EXTRACT gives an exact numeric)."""

    template = "(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def stored(column: str, kind: type[Field[Any, Any]] = CharField) -> Any:
    """`column` in the form `as_stored` gives: a datetime (kind=CharField) as text on SQLite,
    as microseconds since 1970 on PostgreSQL; a duration (kind=BigIntegerField) as an integer
    of microseconds on SQLite, as the column on PostgreSQL. Django converts none of them."""
    if connection.vendor == "sqlite":
        return Cast(column, kind())
    return _Microseconds(F(column)) if kind is CharField else F(column)


def as_stored(value: datetime) -> Any:
    """`value` as `stored` reads a datetime, to compare with what it reads: on SQLite naive UTC
    text (as Django writes it), on PostgreSQL microseconds since 1970."""
    if connection.vendor == "sqlite":
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return (value - EPOCH) // _MICROSECOND


def time_of(value: Any) -> datetime:
    """A datetime read through `stored` (or read as a datetime)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, int):
        return EPOCH + value * _MICROSECOND
    assert isinstance(value, datetime)
    return value


def duration_of(value: Any) -> timedelta:
    """A duration read through `stored(column, BigIntegerField)`."""
    if isinstance(value, int):
        return value * _MICROSECOND
    assert isinstance(value, timedelta)
    return value
