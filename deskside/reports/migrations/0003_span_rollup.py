"""The rollup's open spans (deskside/reports/rollup.py, SpanRow): the backlog of a period from
the spans that cross it. Read once `deskside backfill_reports` has written them (RollupState.spans)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_clock_rollup"),
        ("tickets", "0018_message_kind_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="rollupstate",
            name="spans",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="SpanRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("organisation_id", models.IntegerField(null=True)),
                ("level", models.PositiveSmallIntegerField(null=True)),
                ("start", models.DateTimeField()),
                ("end", models.DateTimeField(null=True)),
                (
                    "ticket",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tickets.ticket",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["end", "start"], name="reports_span_end")],
            },
        ),
    ]
