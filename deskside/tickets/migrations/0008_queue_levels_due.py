"""The level index of the queue also holds the nearest due time (issue 5).

Counting the breached tickets per level (the queue's "Breached" filter) then reads this index
alone: SQLite read every open ticket's row for its due time (50 ms at a million tickets).
Dropping and creating an index rewrites no table (no SQLite table rebuild, see 0005).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_public_holidays")]

    operations = [
        migrations.RemoveIndex(model_name="ticket", name="ticket_queue_levels"),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("in_queue", True)),
                fields=["severity", "nearest_due"],
                name="ticket_queue_levels",
            ),
        ),
    ]
