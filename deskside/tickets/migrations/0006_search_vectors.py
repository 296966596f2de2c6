"""PostgreSQL: the search vectors stored in their rows, and the GIN indexes over them (issue 5).

Search reads the newest rows first and matches each against the query (see
deskside.tickets.search). With the vector as an index expression, every row read was tokenized
again: ~30 µs a message, 60 ms for the 2,000 newest. A stored generated column is computed once,
when the row is written, and the GIN indexes now cover the column. Django does not know the
column (it is PostgreSQL's own, filled by PostgreSQL); SQLite keeps its FTS5 table of 0003.

Later migrations: PostgreSQL refuses to alter the type of a column a generated column uses, so a
change to `Ticket.subject` or `Message.text` must drop `search_vector` first and add it again.
Deploying: both tables are rewritten under an exclusive lock and every message is tokenized
once (about 3.5 minutes for 3 million messages on a 2-core machine): plan a maintenance window.
"""

from django.db import migrations

CAP = 100_000  # characters of a message that are indexed, as in 0003_search

FORWARD = [
    "ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, subject)) STORED",
    "ALTER TABLE tickets_message ADD COLUMN search_vector tsvector"
    f" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, left(text, {CAP}))) STORED",
    "DROP INDEX IF EXISTS ticket_subject_search",
    "DROP INDEX IF EXISTS message_text_search",
    "CREATE INDEX ticket_subject_search ON tickets_ticket USING gin (search_vector)",
    "CREATE INDEX message_text_search ON tickets_message USING gin (search_vector)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS ticket_subject_search",
    "DROP INDEX IF EXISTS message_text_search",
    "ALTER TABLE tickets_ticket DROP COLUMN search_vector",
    "ALTER TABLE tickets_message DROP COLUMN search_vector",
    "CREATE INDEX ticket_subject_search ON tickets_ticket"
    " USING gin (to_tsvector('simple'::regconfig, subject))",
    "CREATE INDEX message_text_search ON tickets_message"
    f" USING gin (to_tsvector('simple'::regconfig, left(text, {CAP})))",
]


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_queue_index")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
