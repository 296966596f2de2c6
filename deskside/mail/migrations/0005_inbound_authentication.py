"""Incoming mail records what our own mail server's Authentication-Results said (RFC 8601).

The column is added with plain SQL under SeparateDatabaseAndState: Django would rebuild the
SQLite table for a column with a default (every row copied), where ADD COLUMN is instant.
"""

from django.db import migrations, models


def add_column(apps, schema_editor):
    schema_editor.execute(
        "ALTER TABLE mail_inboundmail ADD COLUMN authentication varchar(200) NOT NULL DEFAULT ''"
    )


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE mail_inboundmail DROP COLUMN authentication")


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0004_inbound_claimed_ticket"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="inboundmail",
                    name="authentication",
                    field=models.CharField(
                        blank=True,
                        help_text="What our own mail server's Authentication-Results said (RFC "
                        "8601; only DESKSIDE_AUTHSERV_ID is believed), e.g. 'spf=fail dkim=none "
                        "dmarc=fail'.",
                        max_length=200,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
    ]
