"""A message of kind "resolution": the agent's resolution text, mailed to the client when the
ticket is marked resolved. Only the field's choices change: no SQL (on SQLite no table rebuild,
which would drop the full-text triggers of 0003_search)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0011_event_held_mail")]

    operations = [
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
                    ("resolution", "Resolution"),
                ],
                max_length=20,
            ),
        ),
    ]
