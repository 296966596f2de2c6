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
    # As on SQLite, only the newest CANDIDATES matches of each kind are ranked. The query is
    # written into each WHERE (not a CTE) so that the planner sees the words: with a CTE it
    # guessed 15,000 matches for a word in 885,000 messages and took a minute (bench/desk.py).
    public = "AND m.direction IN (%s, %s)" if public_only else ""
    sql = f"""
        SELECT ticket_id FROM (
            SELECT t.id AS ticket_id,
                   2 * ts_rank({_PG_SUBJECT}, plainto_tsquery('simple', %s)) AS score
            FROM (
                SELECT t.id, t.subject FROM tickets_ticket AS t
                WHERE {_PG_SUBJECT} @@ plainto_tsquery('simple', %s)
                ORDER BY t.id DESC LIMIT %s
            ) AS t
            UNION ALL
            SELECT m.ticket_id, ts_rank({_PG_TEXT}, plainto_tsquery('simple', %s))
            FROM (
                SELECT m.ticket_id, m.text FROM tickets_message AS m
                WHERE {_PG_TEXT} @@ plainto_tsquery('simple', %s) {public}
                ORDER BY m.id DESC LIMIT %s
            ) AS m
        ) AS hits
        GROUP BY ticket_id
        ORDER BY MAX(score) DESC, ticket_id DESC
        LIMIT %s
    """
    params: list[str | int] = [
        text,
        text,
        CANDIDATES,
        text,
        text,
        *(_PUBLIC if public_only else ()),
        CANDIDATES,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [int(row[0]) for row in cursor.fetchall()]
