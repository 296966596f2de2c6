"""The desk's remaining actions through the API: resolve, wait, reassess, milestone and
propose steps. Each writes what the desk would; a refusal is a problem with the rule's code;
only a member of staff with a write token may use them."""

from __future__ import annotations

from typing import Any

import pytest

from deskside.outbox.models import OutboundMail
from deskside.tickets.models import EventKind, MessageKind, Milestone, Status, Ticket
from tests.api.conftest import Api, open_ticket

pytestmark = pytest.mark.django_db

# Each action's path and a body it accepts on a fresh level-2 ticket with a public reply.
ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("resolve", {"text": "The export worker was restarted."}),
    ("wait", {"note": "Asked for the logs"}),
    ("reassess", {"level": 1, "reason": "Production is down"}),
    ("milestone", {"milestone": "workaround"}),
    ("steps", {"text": "Please clear the cache and try again."}),
]


def _last_event(ticket: Ticket, kind: EventKind) -> Any:
    return ticket.events.filter(kind=kind).order_by("created_at", "id").last()


def _replied(agent_api: Api, ticket: Ticket) -> Ticket:
    agent_api.post(f"/tickets/{ticket.ref}/replies", {"text": "Looking into it."})
    return ticket


def test_resolve_mails_the_resolution(people, agent_api: Api) -> None:
    ticket = _replied(agent_api, open_ticket(people.client))
    mailed = OutboundMail.objects.count()
    answer = agent_api.post(f"/tickets/{ticket.ref}/resolve", {"text": "Restarted the worker."})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == Status.RESOLVED
    assert body["messages"][-1]["kind"] == MessageKind.RESOLUTION
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED and _last_event(ticket, EventKind.RESOLVED)
    assert OutboundMail.objects.count() == mailed + 1


def test_resolve_before_a_public_reply_is_refused(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    answer = agent_api.post(f"/tickets/{ticket.ref}/resolve", {"text": "Done."})
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "no_public_reply"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_wait_pauses_the_clocks(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    answer = agent_api.post(f"/tickets/{ticket.ref}/wait", {"note": "Asked for logs"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == Status.WAITING_ON_CLIENT
    assert answer.json()["clocks_paused"] is True
    ticket.refresh_from_db()
    event = _last_event(ticket, EventKind.WAITING)
    assert event.data["note"] == "Asked for logs"
    again = agent_api.post(f"/tickets/{ticket.ref}/wait", {})
    assert again.status_code == 422 and again.json()["code"] == "already_waiting"


def test_reassess_changes_the_level_not_the_claim(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client, level=3)
    answer = agent_api.post(
        f"/tickets/{ticket.ref}/reassess", {"level": 2, "reason": "Many users affected"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["severity"] == 2 and answer.json()["claimed_severity"] == 3
    ticket.refresh_from_db()
    event = _last_event(ticket, EventKind.REASSESSED)
    assert ticket.severity == 2
    assert event.data["was"] == 3 and event.data["level"] == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"level": 3, "reason": "same"}, "already_at_level"),
        ({"level": 2, "reason": "   "}, "reason_required"),
        ({"level": 5, "reason": "no such level"}, "invalid_request"),
        ({"level": 2}, "invalid_request"),
    ],
)
def test_reassess_refusals(people, agent_api: Api, body: dict[str, Any], code: str) -> None:
    ticket = open_ticket(people.client, level=3)
    answer = agent_api.post(f"/tickets/{ticket.ref}/reassess", body)
    assert answer.status_code == 422 and answer.json()["code"] == code
    ticket.refresh_from_db()
    assert ticket.severity == 3


def test_milestone_of_the_level_is_recorded(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client, level=2)
    answer = agent_api.post(f"/tickets/{ticket.ref}/milestone", {"milestone": "workaround"})
    assert answer.status_code == 200, answer.content
    ticket.refresh_from_db()
    assert ticket.milestone == Milestone.WORKAROUND
    event = _last_event(ticket, EventKind.MILESTONE)
    assert event.data["milestone"] == "workaround"


def test_milestone_of_another_level_is_refused(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client, level=2)
    answer = agent_api.post(f"/tickets/{ticket.ref}/milestone", {"milestone": "answer"})
    assert answer.status_code == 422 and answer.json()["code"] == "milestone_not_a_goal"
    unknown = agent_api.post(f"/tickets/{ticket.ref}/milestone", {"milestone": "party"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "invalid_request"
    ticket.refresh_from_db()
    assert not ticket.milestone


def test_steps_are_mailed_and_the_ticket_waits(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    mailed = OutboundMail.objects.count()
    answer = agent_api.post(f"/tickets/{ticket.ref}/steps", {"text": "Clear the cache."})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["status"] == Status.WAITING_ON_CLIENT
    assert body["messages"][-1]["kind"] == MessageKind.PROPOSAL
    ticket.refresh_from_db()
    assert _last_event(ticket, EventKind.WAITING).data["proposal"] == body["messages"][-1]["id"]
    assert OutboundMail.objects.count() == mailed + 1
    blank = agent_api.post(f"/tickets/{ticket.ref}/steps", {"text": "  "})
    assert blank.status_code == 422 and blank.json()["code"] == "empty_steps"


def test_an_action_on_a_closed_ticket_is_refused(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    agent_api.post(f"/tickets/{ticket.ref}/close", {"reason": "withdrawn"})
    answer = agent_api.post(f"/tickets/{ticket.ref}/wait", {})
    assert answer.status_code == 422 and answer.json()["code"] == "ticket_closed"


@pytest.mark.parametrize(("path", "body"), ACTIONS)
def test_a_read_token_may_not_act(people, reader_api: Api, path: str, body: Any) -> None:
    ticket = open_ticket(people.client)
    events = ticket.events.count()
    answer = reader_api.post(f"/tickets/{ticket.ref}/{path}", body)
    assert answer.status_code == 403 and answer.json()["code"] == "read_only"
    assert ticket.events.count() == events


@pytest.mark.parametrize(("path", "body"), ACTIONS)
def test_a_client_token_may_not_act(people, client_api: Api, path: str, body: Any) -> None:
    mine = open_ticket(people.client)
    theirs = open_ticket(people.other_client)
    events = mine.events.count() + theirs.events.count()
    own = client_api.post(f"/tickets/{mine.ref}/{path}", body)
    assert own.status_code == 403 and own.json()["code"] == "staff_only"
    other = client_api.post(f"/tickets/{theirs.ref}/{path}", body)
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert mine.events.count() + theirs.events.count() == events


@pytest.mark.parametrize(("path", "body"), ACTIONS)
def test_an_unknown_ticket_is_not_found(people, agent_api: Api, path: str, body: Any) -> None:
    answer = agent_api.post(f"/tickets/CCS-999999/{path}", body)
    assert answer.status_code == 404 and answer.json()["code"] == "not_found"
