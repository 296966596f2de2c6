"""Where each ticket came in, recorded on the ticket (the reports read it for every ticket of a
period). Existing tickets get it from their first message's kind, as the reports derived it
until now, and those whose creation says "through the API" (the API's and the alerts') the API:
some ten seconds a million tickets on SQLite.

The column is added by ALTER TABLE with a constant default, on both databases: Django would have
SQLite rebuild tickets_ticket for a NOT NULL column (copy, drop, rename), which drops the
full-text triggers of 0003_search and copies a million rows."""

from django.db import migrations, models
from django.db.models import OuterRef, Q, Subquery


def backfill(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    Message = apps.get_model("tickets", "Message")
    Event = apps.get_model("tickets", "Event")
    first = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id")
    tickets = Ticket.objects.annotate(first_kind=Subquery(first.values("kind")[:1]))
    tickets.filter(first_kind="web").update(door="portal")
    tickets.filter(~Q(first_kind__in=["mail", "web"]) | Q(first_kind__isnull=True)).update(
        door="desk"
    )
    api = Event.objects.filter(kind="created", data__note__icontains="through the API")
    Ticket.objects.filter(pk__in=api.values("ticket_id")).update(door="api")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0018_message_kind_phone"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE tickets_ticket ADD COLUMN door varchar(10) NOT NULL DEFAULT 'mail'",
                    "ALTER TABLE tickets_ticket DROP COLUMN door",
                )
            ],
            state_operations=[
                migrations.AddField(
                    model_name="ticket",
                    name="door",
                    field=models.CharField(
                        choices=[
                            ("mail", "Mail"),
                            ("portal", "Portal"),
                            ("desk", "Desk (phone)"),
                            ("api", "API"),
                        ],
                        db_default="mail",
                        default="mail",
                        max_length=10,
                    ),
                )
            ],
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
