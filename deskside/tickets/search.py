"""Full-text search over ticket subjects and message text, with the database's own engine;
and the tickets of the clients whose name or address starts with what an agent typed.

The indexes are made by migrations 0003_search and 0006_search_vectors: an FTS5 table kept by
triggers on SQLite, GIN indexes over stored tsvector columns on PostgreSQL. Every word of the
query must occur (in the subject or in any one message); among the newest matches, the best
come first. Whatever a person types is data, never query syntax: on SQLite each word becomes a
quoted FTS5 string, on PostgreSQL plainto_tsquery() reads it.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet, Value
from django.db.models.expressions import RawSQL

from deskside.accounts.models import Contact, Folded
from deskside.tickets.models import Direction, MessageKind, Ticket

MAX_TERMS = 12
# Only the newest matches are ranked (per kind: subjects, messages), so that a word found in
# half a million messages costs what a rare word costs. The newest are what an agent looks for.
CANDIDATES = 200  # bench/desk.py at 1M tickets: 2,000 cost seconds for a common word
RECENT = 20_000  # PostgreSQL: the newest rows read before asking the index (see _pg_newest)
WINDOW = 100_000  # then the newest ids asked of the index before the older ones
# The stored vectors of migration 0006_search_vectors, which the GIN indexes cover.
_PG_SUBJECT = "t.search_vector"
_PG_TEXT = "m.search_vector"
_PUBLIC = (Direction.INBOUND.value, Direction.OUTBOUND.value)
# The protocol's form letters, the same on every ticket, are not indexed (migration
# 0009_search_without_form_letters): on PostgreSQL the GIN index is partial, and a query must
# state the index's condition for the planner to use it.
FORM_LETTERS = (
    MessageKind.ACKNOWLEDGEMENT.value,
    MessageKind.PROTOCOL.value,
    MessageKind.REMINDER.value,
    MessageKind.CLOSURE.value,
)
_PG_INDEXED = "m.kind NOT IN ({})".format(", ".join(f"'{kind}'" for kind in FORM_LETTERS))
_WORD = re.compile(r"\w", re.UNICODE)
CLIENTS = 20  # clients whose tickets a search lists, at most
MIN_CLIENT_PREFIX = 2  # characters: "An" is a name
_LAST_CHARACTER = "\U0010ffff"  # after every character: "jan" + it bounds every "jan…"


def search_tickets(query: str, limit: int, *, public_only: bool = False) -> list[int]:
    """Ids of the tickets that match `query`, best first, at most `limit`.

    `public_only` leaves internal notes and system messages out, for pages a client sees.
    """
    terms = query_terms(query)
    if not terms or limit <= 0:
        return []
    if connection.vendor == "postgresql":
        return _postgresql(" ".join(terms), limit, public_only)
    return _sqlite(terms, limit, public_only)


def query_terms(query: str) -> list[str]:
    """The words of a query: split on white space, kept only when they hold a letter or digit."""
    return [term for term in query.split() if _WORD.search(term)][:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression that requires every term, with no operator of its own."""
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _sqlite(terms: list[str], limit: int, public_only: bool) -> list[int]:
    # Subject rows have rowid = -ticket id; message rows the message id (see the migration), so
    # "newest first" is rowid ascending for subjects and descending for messages. FTS5 walks
    # its index in rowid order and stops at the LIMIT: a common word costs no more than a rare
    # one. No bm25(): it counts every match of a word across the whole index (463 ms for a
    # common word at a million tickets, 34 ms without); subject hits rank first, then newest.
    words = fts5_query(terms)
    public = (
        f"WHERE hits.rowid < 0 OR m.direction IN ('{_PUBLIC[0]}', '{_PUBLIC[1]}')"
        if public_only
        else ""
    )
    sql = f"""
        WITH hits AS MATERIALIZED (
            SELECT * FROM (
                SELECT rowid, 0 AS score FROM ticket_search
                WHERE ticket_search MATCH %s ORDER BY rowid ASC LIMIT %s
            )
            UNION ALL
            SELECT * FROM (
                SELECT rowid, 1 AS score FROM ticket_search
                WHERE ticket_search MATCH %s ORDER BY rowid DESC LIMIT %s
            )
        )
        SELECT COALESCE(m.ticket_id, -hits.rowid) AS ticket_id
        FROM hits
        LEFT JOIN tickets_message AS m ON hits.rowid > 0 AND m.id = hits.rowid
        {public}
        GROUP BY 1
        ORDER BY MIN(hits.score), 1 DESC
        LIMIT %s
    """
    params: list[str | int] = [
        f"subject : ({words})",
        CANDIDATES,
        f"body : ({words})",
        CANDIDATES,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]


def _postgresql(text: str, limit: int, public_only: bool) -> list[int]:
    # As on SQLite, only the newest CANDIDATES matches of each kind are ranked; subject hits
    # weigh twice a message hit.
    best: dict[int, float] = {}
    for weight, hits in ((2.0, _pg_subject_hits(text)), (1.0, _pg_message_hits(text, public_only))):
        for ticket_id, rank in hits:
            best[ticket_id] = max(best.get(ticket_id, 0.0), weight * rank)
    ranked = sorted(best.items(), key=lambda item: (-item[1], -item[0]))
    return [ticket_id for ticket_id, _rank in ranked[:limit]]


def _pg_subject_hits(text: str) -> list[tuple[int, float]]:
    return _pg_newest(
        f"t.id, ts_rank({_PG_SUBJECT}, plainto_tsquery('simple', %s))",
        "tickets_ticket AS t",
        f"{_PG_SUBJECT} @@ plainto_tsquery('simple', %s)",
        [text, text],
    )


def _pg_message_hits(text: str, public_only: bool) -> list[tuple[int, float]]:
    public = " AND m.direction IN (%s, %s)" if public_only else ""
    return _pg_newest(
        f"m.ticket_id, ts_rank({_PG_TEXT}, plainto_tsquery('simple', %s))",
        "tickets_message AS m",
        f"{_PG_TEXT} @@ plainto_tsquery('simple', %s) AND {_PG_INDEXED}{public}",
        [text, text, *(_PUBLIC if public_only else ())],
    )


def _pg_newest(columns: str, table: str, match: str, params: list[str]) -> list[tuple[int, float]]:
    """The newest CANDIDATES matching rows of `table` ("name AS alias"), at a bounded cost.

    PostgreSQL's planner cannot tell a rare word from a common one when a desk's vocabulary is
    small (every word is a "most common element" of its statistics): for a word in 42 of 3
    million messages it estimated 11,000 and walked the whole table newest-first (45 s at a
    million tickets). So, first, the RECENT newest rows: they hold CANDIDATES matches of any
    word in more than 1% of the rows, and matching a stored vector costs ~1 µs. Short of that,
    the GIN index: for the newest WINDOW ids first (its bitmap ANDed with the primary key's),
    and only then, if the window held too few, for the older rows — so that a word in 0.5% of
    3 million messages does not fetch 15,000 of them. `id + 0` keeps the primary key's index
    out where it would cost more than the GIN one: ordering all matches, and ANDing millions
    of older ids.
    """
    name, alias = table.split(" AS ")
    key, edge = f"{alias}.id", f"(SELECT max(id) - {int(WINDOW)} FROM {name})"
    newest = f"(SELECT * FROM {name} ORDER BY id DESC LIMIT {int(RECENT)}) AS {alias}"

    def by_index(rows: str, limit: int) -> str:
        found = f"SELECT {columns} FROM {table} WHERE {match} AND {rows}"
        return f"{found} ORDER BY {key} + 0 DESC LIMIT {int(limit)}"

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {newest} WHERE {match} ORDER BY {key} DESC LIMIT {CANDIDATES}",
            params,
        )
        found = cursor.fetchall()
        if len(found) < CANDIDATES:
            found = []  # the window holds the newest rows again
            for rows in (f"{key} > {edge}", f"{key} + 0 <= {edge}"):
                cursor.execute(by_index(rows, CANDIDATES - len(found)), params)
                found += cursor.fetchall()
                if len(found) >= CANDIDATES:
                    break
    return [(int(key), float(rank)) for key, rank in found]


def search_prefix(query: str) -> str | None:
    """`query` as the start of an address or a name: spaces folded, NUL dropped (PostgreSQL
    refuses it in text), at most 200 characters; None when too short to search by."""
    text = " ".join(query.replace("\x00", "").split())[:200]
    return text if len(text) >= MIN_CLIENT_PREFIX else None


def starting_with[M: Model](rows: QuerySet[M], field: str, text: str) -> QuerySet[Any, M]:
    """The rows whose `field` starts with `text`, in any case: one range of an index on the
    folded field, LOWER(text) from LOWER(query) up to LOWER(query) followed by the last
    character; in the index's order."""
    start, end = Folded(Value(text)), Folded(Value(text + _LAST_CHARACTER))
    folded = rows.alias(key=Folded(field)).filter(key__gte=start, key__lt=end)
    return folded.order_by("key", "id")


def matching_clients(
    query: str, limit: int = CLIENTS, among: QuerySet[Contact] | None = None
) -> list[Contact]:
    """Contacts (of `among`: all by default) whose address or name starts with `query`, in any
    case: an exact address first, then by name. One query over two ranges of two indexes
    (Contact.Meta.indexes), never a scan. `among` applies inside the ranges: a client's search
    is not the first `limit` of everyone's, filtered afterwards."""
    text = search_prefix(query)
    if text is None:
        return []
    ranges: list[str] = []
    params: list[object] = []
    for field in ("email", "name"):
        starting = starting_with(Contact.objects.all() if among is None else among, field, text)
        sql, more = starting.values("pk")[:limit].query.sql_with_params()
        ranges.append(f"SELECT * FROM ({sql}) AS {field}_start")
        params += more
    found = Contact.objects.filter(pk__in=RawSQL(" UNION ".join(ranges), params))
    found = found.select_related("organisation")
    folded = text.casefold()
    ranked = sorted(found, key=lambda c: (c.email.casefold() != folded, c.name, c.pk))
    return ranked[:limit]


def newest_tickets_of(contacts: list[Contact], limit: int) -> RawSQL:
    """A subquery of the ids of these contacts' `limit` newest tickets, for `pk__in`.

    One short range of the index on the ticket's contact (in id order) per contact, then the
    newest of those: `contact IN (...) ORDER BY id DESC` alone may walk every ticket's id from
    the newest to find an occasional client's few, or read and sort all of a busy client's."""
    table = Ticket._meta.db_table
    each = f"SELECT id FROM {table} WHERE contact_id = %s ORDER BY id DESC LIMIT %s"
    union = " UNION ALL ".join(f"SELECT * FROM ({each}) AS c{i}" for i in range(len(contacts)))
    params: list[int] = []
    for contact in contacts:
        params += [contact.pk, limit]
    if not contacts:
        return RawSQL(f"SELECT id FROM {table} WHERE 1 = 0", ())
    return RawSQL(f"SELECT id FROM ({union}) AS found ORDER BY id DESC LIMIT %s", (*params, limit))
