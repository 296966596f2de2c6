from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="outboundmail",
            name="calendar",
            field=models.TextField(
                blank=True, help_text="An iCalendar invitation (RFC 5545) sent with the mail."
            ),
        ),
        migrations.AddField(
            model_name="outboundmail",
            name="calendar_method",
            field=models.CharField(
                blank=True,
                choices=[("REQUEST", "Request (new or updated)"), ("CANCEL", "Cancel")],
                max_length=10,
            ),
        ),
    ]
