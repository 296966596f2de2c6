"""The cap on new tickets per domain (deskside/mail/floods.py): the domain of a sender outside
any organisation whose mail opened a ticket, with an index to count the last hour's.

The column is added with plain SQL (see 0005): no rebuild of the table on SQLite.
"""

from django.db import migrations, models


def add_column(apps, schema_editor):
    schema_editor.execute(
        "ALTER TABLE mail_inboundmail ADD COLUMN sender_domain varchar(255) NOT NULL DEFAULT ''"
    )


def drop_column(apps, schema_editor):
    schema_editor.execute("ALTER TABLE mail_inboundmail DROP COLUMN sender_domain")


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0005_inbound_authentication"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="inboundmail",
                    name="sender_domain",
                    field=models.CharField(
                        blank=True,
                        help_text="Set when the mail opened a ticket for a sender outside any "
                        "organisation: the cap on new tickets per domain counts these "
                        "(deskside/mail/floods.py).",
                        max_length=255,
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.AddIndex(
            model_name="inboundmail",
            index=models.Index(
                fields=["sender_domain", "received_at"], name="inbound_domain_recent"
            ),
        ),
    ]
