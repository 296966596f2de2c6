"""Prepared SQL for the statements the mail intake runs for every mail.

Django's SQL compiler costs several times the database's own work for a small INSERT, UPDATE or
SELECT by key; the intake runs a dozen of them per mail. The statements here are written once
(per model and database, on first use) and only their values change. Values are prepared by
the model's own fields, as the ORM prepares them (auto_now, JSON, dates, booleans), and rows
read back go through the same converters as a queryset's, so both databases see and give the
same as through the ORM. They bypass model signals and `save()`: use them only for models
without either, and with an automatic primary key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Func, Model
from django.db.models.sql.compiler import SQLCompiler

_Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]

# Text fields whose preparation of a str is the str itself (Field.pre_save reads the attribute,
# get_db_prep_save → get_prep_value → to_python return a str unchanged): most columns of the
# rows the intake writes, so skipping the calls for them is most of the preparation's cost.
_PLAIN_TEXT = frozenset({models.CharField, models.TextField, models.EmailField})

_INSERTS: dict[tuple[type[Model], str, bool], tuple[str, list[tuple[Field[Any, Any], bool]]]] = {}


_ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(text: str) -> int | None:
    """A row's number from text a person or a form sent: 1 to 18 ASCII digits, which a 64-bit
    key holds ("²" is a digit to str.isdigit and no number to int), else None."""
    return int(text) if _ROW_ID.fullmatch(text) and int(text) > 0 else None


def insert(row: Model, *, unless_conflict: bool = False) -> bool:
    """`row.save(force_insert=True)`, with the INSERT built once per model; returns True.

    `unless_conflict`: a row that would break a unique constraint is not written and False is
    returned (`ON CONFLICT DO NOTHING`), without an error that would abort a PostgreSQL
    transaction: the caller needs no savepoint to go on."""
    model, alias = type(row), router.db_for_write(type(row))
    connection = connections[alias]
    cached = _INSERTS.get((model, alias, unless_conflict))
    if cached is None:
        meta, ops = model._meta, connection.ops
        fields = [f for f in meta.local_concrete_fields if f is not meta.pk and not f.generated]
        sql = (
            f"INSERT INTO {ops.quote_name(meta.db_table)} "
            f"({', '.join(ops.quote_name(str(f.column)) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"{'ON CONFLICT DO NOTHING ' if unless_conflict else ''}"
            f"RETURNING {ops.quote_name(str(meta.pk.column))}"
        )
        plain = [(f, type(f) in _PLAIN_TEXT) for f in fields]
        cached = _INSERTS[(model, alias, unless_conflict)] = (sql, plain)
    sql, plain = cached
    values = [_value(row, f, is_text, connection) for f, is_text in plain]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        returned = cursor.fetchone()
    if returned is None:
        return False
    (row.pk,) = returned
    row._state.adding, row._state.db = False, alias
    return True


def _value(
    row: Model, field: Field[Any, Any], is_text: bool, connection: BaseDatabaseWrapper
) -> Any:
    if is_text:
        value = getattr(row, field.attname)
        if type(value) is str:
            return value
    return field.get_db_prep_save(field.pre_save(row, True), connection)


class AsciiLower(Func):
    """LOWER() that folds the ASCII letters A-Z only, and so gives the same on both databases.

    SQLite's LOWER folds ASCII only. PostgreSQL's folds by the database's locale: under C.UTF-8
    or en_US.UTF-8 the Kelvin sign K becomes k and the Turkish İ becomes i, so that
    "Kim@acme.example" written with a Kelvin sign would be the contact kim@acme.example. There
    it runs under the "C" collation, which folds ASCII only. Raw SQL writes the same with the
    `{ascii}` placeholder of Statement: `LOWER({email}{ascii})`."""

    function = "LOWER"

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Sequence[Any]]:
        return self.as_sql(
            compiler, connection, template='%(function)s(%(expressions)s COLLATE "C")', **extra
        )


def _ascii_collation(connection: BaseDatabaseWrapper) -> str:
    return ' COLLATE "C"' if connection.vendor == "postgresql" else ""


# A named parameter: `%(since)s`.
_PARAMETER = re.compile(r"%\((\w+)\)s")


class Statement:
    """One SQL statement about one model, written with `{table}` and `{field}` placeholders
    (a field's name or attname) that become the quoted names, and named `%(name)s` parameters.
    A parameter's value is prepared by the field of the same name, or by the field `fields`
    names for it; `fields` maps a parameter to None to pass its value as it is (a LIMIT).
    `{ascii}` is the collation under which LOWER() folds ASCII letters only (see AsciiLower).

        Statement(Mail, "SELECT COUNT(*) FROM {table} WHERE {to} = %(to)s").value(to="a@b.c")
    """

    def __init__(
        self, model: type[Model], sql: str, *, fields: Mapping[str, str | None] | None = None
    ) -> None:
        self.model = model
        self.template = sql
        self.fields = dict(fields or {})
        self._sql: dict[str, tuple[str, list[tuple[str, Field[Any, Any] | None]]]] = {}

    def _prepared(self, alias: str) -> tuple[str, list[tuple[str, Field[Any, Any] | None]]]:
        cached = self._sql.get(alias)
        if cached is None:
            meta, quote = self.model._meta, connections[alias].ops.quote_name
            names = {"table": quote(meta.db_table), "ascii": _ascii_collation(connections[alias])}
            for field in meta.concrete_fields:
                names[field.name] = names[field.attname] = quote(str(field.column))
            sql = self.template.format_map(names)
            parameters = [(name, self._field(name)) for name in _PARAMETER.findall(sql)]
            cached = self._sql[alias] = (_PARAMETER.sub("%s", sql), parameters)
        return cached

    def _field(self, parameter: str) -> Field[Any, Any] | None:
        name = self.fields.get(parameter, parameter)
        return None if name is None else _concrete(self.model._meta.get_field(name))

    def execute(self, alias: str, values: Mapping[str, object]) -> CursorWrapper:
        """The statement executed on database `alias`: the cursor, for the caller to close."""
        sql, parameters = self._prepared(alias)
        connection = connections[alias]
        prepared: list[Any] = [
            values[name] if field is None else field.get_db_prep_save(values[name], connection)
            for name, field in parameters
        ]
        cursor = connection.cursor()
        cursor.execute(sql, prepared)
        return cursor

    def run(self, **values: object) -> int:
        """Execute a write; returns how many rows it changed."""
        with self.execute(router.db_for_write(self.model), values) as cursor:
            return int(cursor.rowcount)

    def value(self, **values: object) -> Any:
        """The first column of the first row (a count, an id), or None without a row."""
        with self.execute(router.db_for_read(self.model), values) as cursor:
            row = cursor.fetchone()
        return None if row is None else row[0]


def _concrete(field: object) -> Field[Any, Any]:
    if not isinstance(field, Field) or field.column is None:
        raise TypeError(f"{field!r} is not a column: it cannot prepare a value")
    return field


class Lookup[M: Model]:
    """`Model.objects.filter(...).first()` for a fixed WHERE clause (the `{field}` and `%s`
    syntax of Statement): the row as a model instance, or None. The clause must select at most
    one row (a unique key): no order is applied."""

    def __init__(
        self, model: type[M], where: str, *, fields: Mapping[str, str | None] | None = None
    ) -> None:
        self.model = model
        self.columns = [f.attname for f in model._meta.concrete_fields]
        self.rows = Rows(model, self.columns, f"{where} LIMIT 1", fields=fields)

    def first(self, **values: object) -> M | None:
        found = self.rows.all(**values)
        if not found:
            return None
        return self.model.from_db(router.db_for_read(self.model), self.columns, list(found[0]))


class Rows:
    """`Model.objects.filter(...).values_list(*columns)` for a fixed WHERE clause (with ORDER BY
    and LIMIT as needed; the syntax of Statement): the rows as tuples, each value converted as
    a queryset converts it (SQLite's dates come back as text, JSON as a string). `extra`: SQL
    expressions (Statement's syntax) read after the columns, each value as the database gives
    it (a boolean is 0 or 1 on SQLite)."""

    def __init__(
        self,
        model: type[Model],
        columns: Sequence[str],
        where: str,
        *,
        fields: Mapping[str, str | None] | None = None,
        extra: Sequence[str] = (),
    ) -> None:
        self.model = model
        meta = model._meta
        self.fields = [_concrete(meta.get_field(name)) for name in columns]
        selected = ["{" + f.attname + "}" for f in self.fields] + list(extra)
        self.statement = Statement(
            model,
            f"SELECT {', '.join(selected)} FROM {{table}} WHERE {where}",
            fields=fields,
        )
        self.converted = Converted(self.fields)

    def all(self, **values: object) -> list[tuple[Any, ...]]:
        alias = router.db_for_read(self.model)
        with self.statement.execute(alias, values) as cursor:
            rows = cursor.fetchall()
        return self.converted.rows(alias, rows)


class Converted:
    """Rows of raw SQL whose first columns are `fields` (of any models; columns after them are
    left as read), each value converted as a queryset converts it."""

    def __init__(self, fields: Sequence[Field[Any, Any]]) -> None:
        self.fields = list(fields)
        self._converters: dict[str, list[tuple[int, list[_Converter], Any]]] = {}

    def rows(self, alias: str, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        converters = self._converters_for(alias)
        if not converters:
            return [tuple(row) for row in rows]
        connection = connections[alias]
        converted = []
        for row in rows:
            values_of_row = list(row)
            for index, functions, expression in converters:
                for convert in functions:
                    values_of_row[index] = convert(values_of_row[index], expression, connection)
            converted.append(tuple(values_of_row))
        return converted

    def _converters_for(self, alias: str) -> list[tuple[int, list[_Converter], Any]]:
        """What a queryset applies to each column read."""
        cached = self._converters.get(alias)
        if cached is None:
            connection = connections[alias]
            cached = []
            for index, field in enumerate(self.fields):
                column = field.get_col(field.model._meta.db_table)
                converters = [
                    *connection.ops.get_db_converters(column),
                    *column.get_db_converters(connection),
                ]
                if converters:
                    cached.append((index, converters, column))
            self._converters[alias] = cached
        return cached


def add_up(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Add each row's last value to the `columns[-1]` of the row that has its other values (a
    unique constraint's columns), or write the row if there is none: one statement for all,
    `INSERT … ON CONFLICT … DO UPDATE`, the same on both databases. Values are prepared by the
    model's fields, as the ORM prepares them."""
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta, quote = model._meta, connection.ops.quote_name
    fields = [f for name in columns if isinstance(f := meta.get_field(name), Field)]
    names = [quote(str(f.column)) for f in fields]
    table, total = quote(meta.db_table), names[-1]
    prepared = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]
        for row in rows
    ]
    if not prepared:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "
            f"ON CONFLICT ({', '.join(names[:-1])}) "
            f"DO UPDATE SET {total} = {table}.{total} + excluded.{total}",
            prepared,
        )
