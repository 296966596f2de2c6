"""An index for Desk → Customers: the start of an organisation's name, lower-cased, as a range of
an index (deskside.accounts.models.Folded, as migration 0003 does for contacts). Creating an
index rewrites no table."""

from django.db import migrations, models

import deskside.accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_contact_email_ascii_case"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="organisation",
            index=models.Index(
                deskside.accounts.models.Folded("name"), name="organisation_name_folded"
            ),
        ),
    ]
