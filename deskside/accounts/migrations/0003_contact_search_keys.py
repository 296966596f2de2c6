"""Indexes for desk search by client: the start of a contact's name or address, lower-cased, as
a range of an index (deskside.accounts.models.Folded; on PostgreSQL in the "C" collation, where
a range is a prefix). Creating an index rewrites no table."""

from django.db import migrations, models

import deskside.accounts.models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_signin_limits")]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(deskside.accounts.models.Folded("name"), name="contact_name_folded"),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                deskside.accounts.models.Folded("email"), name="contact_email_folded"
            ),
        ),
    ]
