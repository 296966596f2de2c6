"""Public holidays in the database (issues 3 and 4), seeded for Belgium 2000-2100
(deskside/tickets/seeds.py says why they are stored)."""

from django.db import migrations, models

from deskside.tickets import seeds


def seed(apps, schema_editor):
    seeds.public_holidays(apps)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_search_vectors")]

    operations = [
        migrations.CreateModel(
            name="PublicHoliday",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("country", models.CharField(help_text="ISO 3166 code, e.g. BE.", max_length=2)),
                ("date", models.DateField()),
                ("name", models.CharField(blank=True, max_length=100)),
            ],
            options={
                "ordering": ["country", "date"],
                "constraints": [
                    models.UniqueConstraint(fields=("country", "date"), name="public_holiday_once")
                ],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
