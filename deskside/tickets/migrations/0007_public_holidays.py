"""Public holidays in the database (issues 3 and 4), seeded for Belgium 2000-2100.

The `holidays` package loads every country's calendar when imported: about 30 MB of memory and
up to a second per process, paid by each `deskside ingest` an MTA runs and counted in the peak
memory of ingesting a 25 MB mail. With the holidays stored, the clocks read ~1,100 rows instead;
the package is still the source of these rows, and of any year or country not stored.
"""

from django.db import migrations, models

COUNTRY = "BE"
YEARS = range(2000, 2101)


def seed(apps, schema_editor):
    import holidays  # only here: see the module's docstring

    PublicHoliday = apps.get_model("tickets", "PublicHoliday")
    known = holidays.country_holidays(COUNTRY, years=YEARS, language="en_US")
    PublicHoliday.objects.bulk_create(
        [PublicHoliday(country=COUNTRY, date=day, name=name[:100]) for day, name in known.items()],
        ignore_conflicts=True,  # seeding twice (tests re-seed after a flush) changes nothing
    )


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
