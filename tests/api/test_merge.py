"""Merging and linking through the API: the desk's actions, their refusals by code, and a
client's reply (with a client token) to a merged ticket landing on its target."""

from __future__ import annotations

import pytest

from deskside.tickets.models import CloseReason, Direction, LinkKind, Status, TicketLink
from tests.api.conftest import Api, open_ticket

pytestmark = pytest.mark.django_db


def test_merge_closes_the_duplicate_and_a_clients_reply_goes_to_the_target(
    people, agent_api: Api, client_api: Api
) -> None:
    target = open_ticket(people.client, "Printer jams", level=3)
    duplicate = open_ticket(people.client, "Tray 2 jams", level=3)

    answer = agent_api.post(f"/tickets/{duplicate.ref}/merge", {"into": target.ref})

    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["close_reason"]) == ("closed", "duplicate")
    assert TicketLink.objects.get(source=duplicate).kind == LinkKind.DUPLICATE_OF
    replied = client_api.post(f"/tickets/{duplicate.ref}/replies", {"text": "Tray 3 too."})
    assert replied.status_code == 201, replied.content
    assert replied.json()["ref"] == target.ref
    assert target.messages.filter(direction=Direction.INBOUND, text="Tray 3 too.").exists()


def test_merge_refusals_have_their_codes(people, agent_api: Api, client_api: Api) -> None:
    ticket = open_ticket(people.client, "Printer jams", level=3)
    into_itself = agent_api.post(f"/tickets/{ticket.ref}/merge", {"into": ticket.ref})
    assert (into_itself.status_code, into_itself.json()["code"]) == (422, "merge_into_itself")
    nowhere = agent_api.post(f"/tickets/{ticket.ref}/merge", {"into": "CCS-999999"})
    assert nowhere.status_code == 404
    other = open_ticket(people.client, "Scanner", level=3)
    as_client = client_api.post(f"/tickets/{ticket.ref}/merge", {"into": other.ref})
    assert as_client.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.close_reason) != (Status.CLOSED, CloseReason.DUPLICATE)


def test_link_and_unlink(people, agent_api: Api) -> None:
    first = open_ticket(people.client, "Printer jams", level=3)
    second = open_ticket(people.client, "Scanner jams", level=3)

    linked = agent_api.post(f"/tickets/{first.ref}/links", {"ticket": second.ref})
    assert linked.status_code == 200, linked.content
    again = agent_api.post(f"/tickets/{second.ref}/links", {"ticket": first.ref})
    assert (again.status_code, again.json()["code"]) == (422, "already_linked")

    unlinked = agent_api.post(f"/tickets/{second.ref}/unlink", {"ticket": first.ref})
    assert unlinked.status_code == 200, unlinked.content
    assert not TicketLink.objects.exists()
