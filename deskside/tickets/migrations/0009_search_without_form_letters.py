"""Full-text search leaves out the protocol's form letters: the acknowledgement, the protocol
explanation, the reminders and the closing notice. Each is the same template on every ticket,
so a word of it ("received", "severity", "answer") matched every ticket, and the newest of those
letters filled the candidates that search ranks (deskside.tickets.search.CANDIDATES), hiding the
clients' own messages. What a client wrote, agents' replies, notes and notices stay searchable.

SQLite: the FTS5 triggers of 0003_search skip those kinds, and their rows leave the index.
PostgreSQL: the GIN index over the stored vectors becomes partial (no table rewrite; only the
index is built again), and search asks for the same condition so the planner can use it.
"""

from django.db import migrations

CAP = 100000  # as in 0003_search
FORM_LETTERS = "('acknowledgement', 'protocol', 'reminder', 'closure')"


def _message_triggers(*, skip_form_letters: bool) -> list[str]:
    new = f"new.kind NOT IN {FORM_LETTERS}" if skip_form_letters else "1"
    old = f"old.kind NOT IN {FORM_LETTERS}" if skip_form_letters else "1"
    return [
        "DROP TRIGGER IF EXISTS ticket_search_message_insert",
        "DROP TRIGGER IF EXISTS ticket_search_message_delete",
        "DROP TRIGGER IF EXISTS ticket_search_message_update",
        f"""
        CREATE TRIGGER ticket_search_message_insert AFTER INSERT ON tickets_message
        WHEN {new} BEGIN
            INSERT INTO ticket_search(rowid, subject, body)
            VALUES (new.id, '', substr(new.text, 1, {CAP}));
        END
        """,
        f"""
        CREATE TRIGGER ticket_search_message_delete AFTER DELETE ON tickets_message
        WHEN {old} BEGIN
            INSERT INTO ticket_search(ticket_search, rowid, subject, body)
            VALUES ('delete', old.id, '', substr(old.text, 1, {CAP}));
        END
        """,
        f"""
        CREATE TRIGGER ticket_search_message_update AFTER UPDATE OF text ON tickets_message
        WHEN old.text IS NOT new.text AND {new} BEGIN
            INSERT INTO ticket_search(ticket_search, rowid, subject, body)
            VALUES ('delete', old.id, '', substr(old.text, 1, {CAP}));
            INSERT INTO ticket_search(rowid, subject, body)
            VALUES (new.id, '', substr(new.text, 1, {CAP}));
        END
        """,
    ]


SQLITE_FORWARD = [
    # A contentless FTS5 table forgets a row only when told its old values.
    f"""
    INSERT INTO ticket_search(ticket_search, rowid, subject, body)
    SELECT 'delete', id, '', substr(text, 1, {CAP}) FROM tickets_message
    WHERE kind IN {FORM_LETTERS}
    """,
    *_message_triggers(skip_form_letters=True),
]

SQLITE_BACKWARD = [
    *_message_triggers(skip_form_letters=False),
    f"""
    INSERT INTO ticket_search(rowid, subject, body)
    SELECT id, '', substr(text, 1, {CAP}) FROM tickets_message WHERE kind IN {FORM_LETTERS}
    """,
]

POSTGRESQL_FORWARD = [
    "DROP INDEX IF EXISTS message_text_search",
    "CREATE INDEX message_text_search ON tickets_message USING gin (search_vector)"
    f" WHERE kind NOT IN {FORM_LETTERS}",
]

POSTGRESQL_BACKWARD = [
    "DROP INDEX IF EXISTS message_text_search",
    "CREATE INDEX message_text_search ON tickets_message USING gin (search_vector)",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0008_queue_levels_due")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
        )
    ]
