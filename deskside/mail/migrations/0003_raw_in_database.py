"""The table of raw mails kept in the database (see deskside/mail/rawstore.py).

It is not a model: only rawstore reads and writes it, by SHA-256, so that the bytes never ride
along when an InboundMail row is read (the admin's lists, the intake's status checks).
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

BYTES_TYPE = {"postgresql": "bytea", "sqlite": "blob"}


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    schema_editor.execute(
        "CREATE TABLE mail_raw (sha256 varchar(64) NOT NULL PRIMARY KEY, "
        f"data {BYTES_TYPE[vendor]} NOT NULL)"
    )


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    schema_editor.execute("DROP TABLE IF EXISTS mail_raw")


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_initial")]

    operations = [migrations.RunPython(create, drop)]
