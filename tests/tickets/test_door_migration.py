"""Migration 0019 gives the tickets of before it their door: from the first message's kind, and
the API's to those whose creation says they came through it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("tickets", "0018_message_kind_phone")]
AFTER = [("tickets", "0019_ticket_door")]


@pytest.mark.django_db(transaction=True)
def test_the_tickets_of_before_get_the_door_they_came_in_by() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    contact = old.get_model("accounts", "Contact").objects.create(email="claire@acme.example")
    Ticket, Message, Event = (old.get_model("tickets", m) for m in ("Ticket", "Message", "Event"))
    now = timezone.now()

    def ticket(first_kind: str | None, note: str = "") -> int:
        made = Ticket.objects.create(subject="Export", contact=contact, received_at=now)
        if first_kind is not None:
            for n, kind in enumerate((first_kind, "reply")):  # the first decides, not the last
                at = now + timedelta(minutes=n)
                Message.objects.create(
                    ticket=made, direction="inbound", kind=kind, text="x", created_at=at
                )
        data = {"note": note} if note else {}
        Event.objects.create(ticket=made, kind="created", data=data, created_at=now)
        return int(made.pk)

    doors = {
        ticket("mail"): "mail",
        ticket("web"): "portal",
        ticket("phone"): "desk",
        ticket("note"): "desk",
        ticket("web", "opened through the API"): "api",
        ticket(
            "mail", "opened by an alertmanager alert through the API (severity → level 1)"
        ): "api",
    }

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("tickets", "Ticket")
    assert dict(new.objects.values_list("pk", "door")) == doors
    if connection.vendor == "sqlite":  # the full-text triggers of 0003: the table not rebuilt
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'tickets_ticket'"
            )
            assert cursor.fetchone() == (3,)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
