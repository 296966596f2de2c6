"""The rollup's rows per ticket and per agent and its sums per day (deskside/reports/facts.py),
which the lead's page reads, and its backlog by day (deskside/reports/days.py), read once
`deskside backfill_reports` has written them (RollupState.facts); the clock rows' assignee, and
indexes of the clock rows for the clocks pending now, the breaches and the durations, and of the
spans by their start."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_span_rollup"),
        ("tickets", "0020_reports_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="AgentRow",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("agent_id", models.IntegerField()),
                ("replies", models.PositiveIntegerField()),
                ("received_at", models.DateTimeField()),
                ("organisation_id", models.IntegerField(null=True)),
                ("level", models.PositiveSmallIntegerField(null=True)),
            ],
        ),
        migrations.CreateModel(
            name="BacklogDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("organisation_id", models.IntegerField()),
                ("level", models.PositiveSmallIntegerField()),
                ("moves", models.IntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="DayFigure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("level", models.PositiveSmallIntegerField()),
                ("figure", models.CharField(max_length=48)),
                ("n", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="FactRow",
            fields=[
                (
                    "ticket",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="tickets.ticket",
                    ),
                ),
                ("received_at", models.DateTimeField()),
                ("day", models.DateField()),
                ("organisation_id", models.IntegerField(null=True)),
                ("level", models.PositiveSmallIntegerField(null=True)),
                ("claimed", models.PositiveSmallIntegerField(null=True)),
                ("door", models.CharField(max_length=8)),
                ("closed", models.CharField(max_length=32)),
                ("assignee_id", models.IntegerField(null=True)),
                ("refused", models.CharField(max_length=16)),
                ("came_back", models.BooleanField()),
                ("reminders", models.PositiveIntegerField()),
                ("refusals", models.PositiveIntegerField()),
                ("first_response_met", models.PositiveSmallIntegerField(default=0)),
                ("first_response_breached", models.PositiveSmallIntegerField(default=0)),
                ("first_response_pending", models.PositiveSmallIntegerField(default=0)),
                ("first_response_ended", models.PositiveSmallIntegerField(default=0)),
                ("next_update_met", models.PositiveIntegerField(default=0)),
                ("next_update_breached", models.PositiveIntegerField(default=0)),
                ("next_update_pending", models.PositiveIntegerField(default=0)),
                ("next_update_ended", models.PositiveIntegerField(default=0)),
                ("goal_met", models.PositiveSmallIntegerField(default=0)),
                ("goal_breached", models.PositiveSmallIntegerField(default=0)),
                ("goal_pending", models.PositiveSmallIntegerField(default=0)),
                ("goal_ended", models.PositiveSmallIntegerField(default=0)),
                ("documentation_met", models.PositiveSmallIntegerField(default=0)),
                ("documentation_breached", models.PositiveSmallIntegerField(default=0)),
                ("documentation_pending", models.PositiveSmallIntegerField(default=0)),
                ("documentation_ended", models.PositiveSmallIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="clockrow",
            name="assignee_id",
            field=models.IntegerField(null=True),
        ),
        migrations.AddField(
            model_name="rollupstate",
            name="facts",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="clockrow",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=[
                    "received_at",
                    "due",
                    "organisation_id",
                    "level",
                    "clock",
                    "outcome",
                    "assignee_id",
                ],
                name="reports_clock_due_open",
            ),
        ),
        migrations.AddIndex(
            model_name="clockrow",
            index=models.Index(fields=["outcome", "received_at"], name="reports_clock_breached"),
        ),
        migrations.AddIndex(
            model_name="clockrow",
            index=models.Index(
                fields=["clock", "received_at", "level", "elapsed"], name="reports_clock_elapsed"
            ),
        ),
        migrations.AddIndex(
            model_name="spanrow",
            index=models.Index(fields=["start"], name="reports_span_start"),
        ),
        migrations.AddField(
            model_name="agentrow",
            name="ticket",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tickets.ticket"
            ),
        ),
        migrations.AddConstraint(
            model_name="backlogday",
            constraint=models.UniqueConstraint(
                fields=("organisation_id", "day", "level"), name="reports_backlog_day"
            ),
        ),
        migrations.AddConstraint(
            model_name="dayfigure",
            constraint=models.UniqueConstraint(
                fields=("day", "level", "figure"), name="reports_day_figure"
            ),
        ),
        migrations.AddIndex(
            model_name="factrow",
            index=models.Index(fields=["received_at"], name="reports_fact_received"),
        ),
        migrations.AddIndex(
            model_name="factrow",
            index=models.Index(fields=["organisation_id", "received_at"], name="reports_fact_org"),
        ),
        migrations.AddIndex(
            model_name="agentrow",
            index=models.Index(fields=["received_at"], name="reports_agent_received"),
        ),
        migrations.AddIndex(
            model_name="agentrow",
            index=models.Index(fields=["organisation_id", "received_at"], name="reports_agent_org"),
        ),
    ]
