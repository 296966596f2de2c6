"""Seed the protocol's data: the four levels and the Brussels calendar (deskside/tickets/seeds.py)."""

from django.db import migrations

from deskside.tickets import seeds


def seed(apps, schema_editor):
    seeds.protocol(apps)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
