"""Cooperation and escalation (issue 6).

- Reminder and close periods on each severity level: 2, 4 and 5 business days of silence, as
  business time (a Brussels business day is 8 h). Set explicitly on the four seeded rows.
- New message and event kinds (choices only: no SQL, so tickets_message is not rebuilt and the
  full-text triggers of 0003 stay).
- The "duty" group: the agents a new level-1 or level-2 ticket alerts by mail. Empty, the alert
  goes to every agent; a lead fills it in the admin (Users → Groups).
"""

import datetime

from django.db import migrations, models

DAY = datetime.timedelta(hours=8)
DUTY_GROUP = "duty"


def set_periods(apps, schema_editor):
    SeverityLevel = apps.get_model("tickets", "SeverityLevel")
    SeverityLevel.objects.filter(level__in=[1, 2, 3, 4]).update(
        reminder_first_after=2 * DAY, reminder_second_after=4 * DAY, close_after=5 * DAY
    )


def create_duty_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=DUTY_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_search"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="severitylevel",
            name="close_after",
            field=models.DurationField(
                default=datetime.timedelta(days=1, seconds=57600),
                help_text="Business time of silence before closing as client unavailable (5 days).",
            ),
        ),
        migrations.AddField(
            model_name="severitylevel",
            name="reminder_first_after",
            field=models.DurationField(
                default=datetime.timedelta(seconds=57600),
                help_text="Business time of silence before the first reminder (2 days = 16:00:00).",
            ),
        ),
        migrations.AddField(
            model_name="severitylevel",
            name="reminder_second_after",
            field=models.DurationField(
                default=datetime.timedelta(days=1, seconds=28800),
                help_text="Business time of silence before the second reminder (4 days = 32:00:00).",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("closed", "Closed"),
                    ("reopened", "Reopened"),
                    ("resolved", "Resolved"),
                    ("status", "Status changed"),
                    ("assigned", "Assigned"),
                    ("reassessed", "Severity reassessed"),
                    ("milestone", "Milestone recorded"),
                    ("message", "Message added"),
                    ("waiting", "Waiting on client"),
                    ("resumed", "Client answered"),
                    ("clock_warning", "Clock at 75%"),
                    ("clock_breach", "Clock breached"),
                    ("reminder", "Reminder sent"),
                    ("refused", "Client refused the proposed steps"),
                    ("escalated", "Escalated to the agents on duty"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="message",
            name="kind",
            field=models.CharField(
                choices=[
                    ("mail", "Mail"),
                    ("web", "Portal"),
                    ("reply", "Agent reply"),
                    ("note", "Note"),
                    ("acknowledgement", "Acknowledgement"),
                    ("protocol", "Protocol explanation"),
                    ("auto_reply", "Out-of-office reply"),
                    ("bounce", "Delivery failure"),
                    ("notice", "Notice"),
                    ("proposal", "Proposed steps"),
                    ("reminder", "Reminder"),
                    ("refusal", "Refusal of the proposed steps"),
                    ("closure", "Closing notice"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(set_periods, migrations.RunPython.noop),
        migrations.RunPython(create_duty_group, migrations.RunPython.noop),
    ]
