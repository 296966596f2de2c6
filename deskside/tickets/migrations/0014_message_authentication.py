"""A message from mail records what our own mail server's Authentication-Results said.

The column is added with plain SQL under SeparateDatabaseAndState: Django would rebuild the
SQLite table for a column with a default, and a rebuild drops the full-text triggers that
0003_search made on it (and copies every message).
"""

from django.db import migrations, models


def add_column(apps, schema_editor):
    schema_editor.execute(
        "ALTER TABLE tickets_message ADD COLUMN authentication varchar(200) NOT NULL DEFAULT ''"
    )


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE tickets_message DROP COLUMN authentication")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_finished_tickets_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="message",
                    name="authentication",
                    field=models.CharField(
                        blank=True,
                        help_text="For a mail: what our own mail server's Authentication-Results "
                        "said (RFC 8601), e.g. 'spf=pass dkim=pass dmarc=pass'; the desk warns "
                        "when it failed.",
                        max_length=200,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
