"""The queue at a million tickets (issue 5): an `in_queue` flag and two partial indexes on it.

A queue page is the open tickets in (effort, nearest due time, id) order. With the status
leading the old index, SQLite and PostgreSQL read every open ticket and sorted them (0.4-0.8 s
at a million tickets, 50,000 open). Now the order is an index of the open tickets only, walked
for the 51 rows a page shows, and counts and filters read two more such indexes alone. A flag,
not `status IN (...)`: SQLite uses a partial index only when the query repeats its condition,
and `WHERE in_queue` is one term that every queue query has.

The column is added with plain SQL under SeparateDatabaseAndState: Django would rebuild the
SQLite table for a column with a default, and a rebuild drops the full-text triggers that
0003_search made on it.

Deploying: the UPDATE writes every ticket row and the indexes are built without CONCURRENTLY,
so writes to tickets wait for it (about 20 s for a million tickets on SQLite).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, Q

OPEN = ("new", "open", "waiting_on_client")


def add_column(apps, schema_editor):
    false = "0" if schema_editor.connection.vendor == "sqlite" else "false"
    schema_editor.execute(
        f"ALTER TABLE tickets_ticket ADD COLUMN in_queue boolean NOT NULL DEFAULT {false}"
    )
    schema_editor.execute("UPDATE tickets_ticket SET in_queue = (status IN (%s, %s, %s))", OPEN)


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tickets_ticket DROP COLUMN in_queue")


def drop_assignee_index(apps, schema_editor):
    """The foreign key's own index, by whatever name Django gave it (a plain DROP INDEX: an
    AlterField would rebuild the SQLite table, and with it drop the full-text triggers)."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "tickets_ticket")
    for name, info in found.items():
        if info["index"] and info["columns"] == ["assignee_id"] and not info["unique"]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def add_assignee_index(apps, schema_editor):
    schema_editor.execute("CREATE INDEX ticket_assignee ON tickets_ticket (assignee_id)")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_cooperation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="ticket",
                    name="in_queue",
                    field=models.BooleanField(default=False),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RemoveIndex(model_name="ticket", name="ticket_queue"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                F("effort_rank"),
                ExpressionWrapper(Q(nearest_due__isnull=True), output_field=models.BooleanField()),
                F("nearest_due"),
                F("id"),
                name="ticket_queue",
                condition=Q(in_queue=True),
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                F("severity"),
                F("status"),
                F("effort_rank"),
                ExpressionWrapper(Q(nearest_due__isnull=True), output_field=models.BooleanField()),
                F("nearest_due"),
                F("id"),
                F("assignee"),
                name="ticket_queue_counts",
                condition=Q(in_queue=True),
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                F("assignee"),
                F("severity"),
                F("status"),
                F("effort_rank"),
                ExpressionWrapper(Q(nearest_due__isnull=True), output_field=models.BooleanField()),
                F("nearest_due"),
                F("id"),
                name="ticket_queue_assignee",
                condition=Q(in_queue=True),
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                fields=["severity"], name="ticket_queue_levels", condition=Q(in_queue=True)
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ticket",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_tickets",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop_assignee_index, add_assignee_index)],
        ),
    ]
