"""The cap on automatic answers per domain (deskside/mail/floods.py): the first recipient's
domain, with an index to count the last hour's answers there.

The column is added with plain SQL: Django would rebuild the SQLite table (every mail copied)
for a column with a default. Mail queued before has no domain: the cap counts from the hour
after the upgrade.
"""

from django.db import migrations, models


def add_column(apps, schema_editor):
    schema_editor.execute(
        "ALTER TABLE outbox_outboundmail ADD COLUMN primary_domain varchar(255) NOT NULL DEFAULT ''"
    )


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE outbox_outboundmail DROP COLUMN primary_domain")


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0004_suppressed"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="outboundmail",
                    name="primary_domain",
                    field=models.CharField(
                        blank=True,
                        help_text="The domain of the first recipient, as primary_to.",
                        max_length=255,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.AlterField(
            model_name="outboundmail",
            name="primary_to",
            field=models.CharField(
                db_index=True,
                help_text="First recipient, ASCII letters in lower case.",
                max_length=320,
            ),
        ),
        migrations.AddIndex(
            model_name="outboundmail",
            index=models.Index(
                fields=["primary_domain", "purpose", "created_at"], name="outbox_domain"
            ),
        ),
    ]
