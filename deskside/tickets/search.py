"""Full-text search over ticket subjects and message text, with the database's own engine.

The indexes are made by migration 0003_search: an FTS5 table kept by triggers on SQLite, GIN
expression indexes on PostgreSQL. Every word of the query must occur (in the subject or in any
one message); among the newest matches, the best come first. Whatever a person types is data,
never query syntax: on SQLite each word becomes a quoted FTS5 string, on PostgreSQL
plainto_tsquery() reads it.
"""

from __future__ import annotations

import re

from django.db import connection

from deskside.tickets.models import Direction

MAX_TERMS = 12
# Only the newest matches are ranked (per kind: subjects, messages), so that a word found in
# half a million messages costs what a rare word costs. The newest are what an agent looks for.
CANDIDATES = 200  # bench/desk.py at 1M tickets: 2,000 cost seconds for a common word
# PostgreSQL: the newest rows read before asking the index (see _pg_newest). A subject costs
# ~5 µs to match, a message ~18 µs (bench/desk.py at a million tickets).
RECENT_SUBJECTS = 5_000
RECENT_MESSAGES = 2_000
# The indexed expressions of migration 0003_search, repeated exactly so that the index is used.
_PG_SUBJECT = "to_tsvector('simple'::regconfig, t.subject)"
_PG_TEXT = "to_tsvector('simple'::regconfig, left(m.text, 100000))"
_PUBLIC = (Direction.INBOUND.value, Direction.OUTBOUND.value)
_WORD = re.compile(r"\w", re.UNICODE)


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
        "SELECT id, subject FROM tickets_ticket",
        RECENT_SUBJECTS,
        "t",
        f"{_PG_SUBJECT} @@ plainto_tsquery('simple', %s)",
        [text, text],
    )


def _pg_message_hits(text: str, public_only: bool) -> list[tuple[int, float]]:
    public = " AND m.direction IN (%s, %s)" if public_only else ""
    return _pg_newest(
        f"m.ticket_id, ts_rank({_PG_TEXT}, plainto_tsquery('simple', %s))",
        "SELECT id, ticket_id, text, direction FROM tickets_message",
        RECENT_MESSAGES,
        "m",
        f"{_PG_TEXT} @@ plainto_tsquery('simple', %s){public}",
        [text, text, *(_PUBLIC if public_only else ())],
    )


def _pg_newest(
    columns: str, rows: str, recent: int, alias: str, match: str, params: list[str]
) -> list[tuple[int, float]]:
    """The newest CANDIDATES matching rows, in two steps whose cost has a bound either way.

    PostgreSQL's planner cannot tell a rare word from a common one when a desk's vocabulary is
    small (every word is a "most common element" of its statistics): for a word in 42 of 3
    million messages it estimated 11,000 and walked the whole table newest-first (45 s at a
    million tickets). So: first read the `recent` newest rows, which hold CANDIDATES matches
    of any common word; short of that, ask the GIN index for every match and sort them. Words
    of middling frequency (a few % of the rows) pay both: about 0.2 s at a million.
    """
    newest = f"ORDER BY {alias}.id DESC LIMIT {CANDIDATES}"
    # `id + 0`: an order the primary key's index cannot give, so the planner takes the GIN one.
    by_index = f"ORDER BY {alias}.id + 0 DESC LIMIT {CANDIDATES}"
    newest_rows = f"{rows} ORDER BY id DESC LIMIT {int(recent)}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM ({newest_rows}) AS {alias} WHERE {match} {newest}", params
        )
        found = cursor.fetchall()
        if len(found) < CANDIDATES:
            cursor.execute(
                f"SELECT {columns} FROM ({rows}) AS {alias} WHERE {match} {by_index}", params
            )
            found = cursor.fetchall()
    return [(int(key), float(rank)) for key, rank in found]
