"""Full-text search over ticket subjects and message text, with the database's own engine.

SQLite: an FTS5 table `ticket_search`, contentless (the text lives once, in the tickets), kept in
step by triggers. Subjects are rows with rowid = -ticket id, messages rows with rowid = message id.
A contentless FTS5 table forgets a row only when told its old values, which the triggers have.

PostgreSQL: GIN expression indexes over to_tsvector('simple', ...): the index follows every
insert and update by itself. 'simple' (no stemming) suits English, Dutch, French and German alike.

Only the first 100,000 characters of a text are indexed: PostgreSQL refuses a tsvector over 1 MB,
and an index error there would refuse the mail itself. (0006_search_vectors replaced the
PostgreSQL expressions by stored columns with the same expressions.)

A later migration that makes SQLite rebuild tickets_ticket or tickets_message (copy, drop,
rename) drops these triggers with the old table: it must create them again.
tests/desk/test_search.py fails when they are missing.
"""

from django.db import migrations

CAP = 100000

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE ticket_search USING fts5(
        subject, body, content='', tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO ticket_search(rowid, subject, body) VALUES (-new.id, new.subject, '');
    END
    """,
    """
    CREATE TRIGGER ticket_search_ticket_delete AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, subject, body)
        VALUES ('delete', -old.id, old.subject, '');
    END
    """,
    """
    CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF subject ON tickets_ticket
    WHEN old.subject IS NOT new.subject BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, subject, body)
        VALUES ('delete', -old.id, old.subject, '');
        INSERT INTO ticket_search(rowid, subject, body) VALUES (-new.id, new.subject, '');
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_insert AFTER INSERT ON tickets_message BEGIN
        INSERT INTO ticket_search(rowid, subject, body)
        VALUES (new.id, '', substr(new.text, 1, {CAP}));
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_delete AFTER DELETE ON tickets_message BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, subject, body)
        VALUES ('delete', old.id, '', substr(old.text, 1, {CAP}));
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_update AFTER UPDATE OF text ON tickets_message
    WHEN old.text IS NOT new.text BEGIN
        INSERT INTO ticket_search(ticket_search, rowid, subject, body)
        VALUES ('delete', old.id, '', substr(old.text, 1, {CAP}));
        INSERT INTO ticket_search(rowid, subject, body)
        VALUES (new.id, '', substr(new.text, 1, {CAP}));
    END
    """,
    "INSERT INTO ticket_search(rowid, subject, body) SELECT -id, subject, '' FROM tickets_ticket",
    f"""
    INSERT INTO ticket_search(rowid, subject, body)
    SELECT id, '', substr(text, 1, {CAP}) FROM tickets_message
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS ticket_search_ticket_insert",
    "DROP TRIGGER IF EXISTS ticket_search_ticket_delete",
    "DROP TRIGGER IF EXISTS ticket_search_ticket_update",
    "DROP TRIGGER IF EXISTS ticket_search_message_insert",
    "DROP TRIGGER IF EXISTS ticket_search_message_delete",
    "DROP TRIGGER IF EXISTS ticket_search_message_update",
    "DROP TABLE IF EXISTS ticket_search",
]

POSTGRESQL_FORWARD = [
    """
    CREATE INDEX ticket_subject_search ON tickets_ticket
    USING gin (to_tsvector('simple'::regconfig, subject))
    """,
    f"""
    CREATE INDEX message_text_search ON tickets_message
    USING gin (to_tsvector('simple'::regconfig, left(text, {CAP})))
    """,
]

POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS ticket_subject_search",
    "DROP INDEX IF EXISTS message_text_search",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_seed_protocol"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        ),
    ]
