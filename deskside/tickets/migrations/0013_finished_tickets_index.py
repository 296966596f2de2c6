"""Resolved and closed tickets, newest first, from an index (the queue's status filter).

Partial on `in_queue = false`, as the queue's indexes are partial on `in_queue = true`: the
queue's own queries cannot pick it, and a list of closed tickets reads its 51 newest entries
at a million tickets. Creating an index rewrites no table (no SQLite table rebuild, see 0005).

Deploying: the index is built without CONCURRENTLY; writes to tickets wait for it (a few
seconds at a million tickets).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0012_message_kind_resolution")]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                condition=models.Q(("in_queue", False)),
                fields=["status", "id"],
                name="ticket_finished",
            ),
        ),
    ]
