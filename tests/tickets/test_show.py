"""`deskside ticket show REF` prints the JSON of docs/protocol.md, Commands."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from deskside.tickets import actions
from deskside.tickets.actions import Actor, NewMessage
from deskside.tickets.models import Direction, MessageKind
from tests.people import make_people

pytestmark = pytest.mark.django_db
RECEIVED = datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("Europe/Brussels"))


def show(ref: str) -> dict[str, Any]:
    out = StringIO()
    call_command("ticket", "show", ref, stdout=out)
    return cast(dict[str, Any], json.loads(out.getvalue()))


def test_show_prints_the_stable_fields():
    people = make_people()
    ticket = actions.open_ticket(
        contact=people.client,
        subject="[S1] Plant down",
        claimed_severity=1,
        received_at=RECEIVED,
        message=NewMessage(
            direction=Direction.INBOUND,
            kind=MessageKind.MAIL,
            text="all stopped",
            sender="claire@acme.example",
            subject="[S1] Plant down",
        ),
    )
    actions.reassess(ticket, 2, reason="one line only", by=Actor.staff(people.agent))
    data = show(ticket.ref.lower())  # references are read in any case
    assert set(data) >= {
        "ref",
        "subject",
        "status",
        "severity",
        "claimed_severity",
        "effort",
        "close_reason",
        "language",
        "received_at",
        "created_at",
        "contact",
        "organisation",
        "clocks",
        "messages",
    }
    assert (data["ref"], data["severity"], data["claimed_severity"]) == (ticket.ref, 2, 1)
    assert data["effort"] == "maximum"
    assert data["received_at"] == "2026-11-28T11:00:00+01:00"
    assert data["contact"] == {"email": "Claire@Acme.example", "name": "Claire Peeters"}
    assert data["organisation"] == {"name": "Acme Antwerp", "country": "BE", "postal_code": "2000"}
    assert data["clocks"]["first_response_due"] == "2026-11-30T11:00:00+01:00"
    assert data["clocks"]["paused"] is False
    assert any("Reassessed from level 1 to level 2" in line for line in data["clocks"]["explain"])
    assert data["messages"] == [
        {
            "direction": "inbound",
            "kind": "mail",
            "sender": "claire@acme.example",
            "created_at": data["messages"][0]["created_at"],
            "subject": "[S1] Plant down",
            "text": "all stopped",
        }
    ]


@pytest.mark.parametrize("ref", ["CCS-999999", "nonsense", "XYZ-1"])
def test_unknown_reference_is_a_clear_error(ref):
    with pytest.raises(CommandError, match=f"no ticket '{ref}'"):
        show(ref)
