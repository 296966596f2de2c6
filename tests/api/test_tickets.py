"""The tickets through the API: the queue's filters and pages, one ticket, opening, messages,
the actions, and what a client token may see (404 for the rest)."""

from __future__ import annotations

import pytest

from deskside.api import tokens
from deskside.api.models import Scope
from deskside.outbox.models import OutboundMail
from deskside.tickets.models import CloseReason, EventKind, MessageKind, Status, Ticket
from tests.api.conftest import Api, open_ticket

pytestmark = pytest.mark.django_db


def test_one_ticket_has_clocks_explained_and_history(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client, level=1)
    body = agent_api.get(f"/tickets/{ticket.ref}").json()
    assert body["ref"] == ticket.ref and body["severity"] == 1
    assert body["clocks"]["first_response_due"] is not None
    assert body["clocks"]["explain"] and all(isinstance(s, str) for s in body["clocks"]["explain"])
    assert body["history"][0]["kind"] == EventKind.CREATED
    assert body["messages"][0]["text"] == "It fails."


def test_list_filters_and_queue_order(people, agent_api: Api) -> None:
    low = open_ticket(people.client, "low", level=4)
    high = open_ticket(people.other_client, "high", level=1)
    refs = [t["ref"] for t in agent_api.get("/tickets").json()["items"]]
    assert refs.index(high.ref) < refs.index(low.ref)  # maximum effort first
    assert [t["ref"] for t in agent_api.get("/tickets", level=4).json()["items"]] == [low.ref]
    by_org = agent_api.get("/tickets", organisation=people.other_org.pk).json()["items"]
    assert [t["ref"] for t in by_org] == [high.ref]
    agent_api.post(f"/tickets/{low.ref}/take")
    mine = agent_api.get("/tickets", assignee="me").json()["items"]
    assert [t["ref"] for t in mine] == [low.ref]
    named = agent_api.get("/tickets", assignee=people.agent.username).json()["items"]
    assert [t["ref"] for t in named] == [low.ref]
    assert agent_api.get("/tickets", assignee="nobody-such").json()["items"] == []
    unassigned = agent_api.get("/tickets", assignee="unassigned").json()["items"]
    assert [t["ref"] for t in unassigned] == [high.ref]


def test_pages_are_stable_under_new_tickets(people, agent_api: Api) -> None:
    opened = [open_ticket(people.client, f"t{n}", level=3) for n in range(7)]
    first = agent_api.get("/tickets", limit=3).json()
    # A ticket opened between two pages that sorts after the first page does not shift it.
    open_ticket(people.client, "late", level=4)
    seen = [t["ref"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = agent_api.get("/tickets", limit=3, cursor=cursor).json()
        seen += [t["ref"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert seen[:7] == [t.ref for t in opened]  # the queue's order: same level, by due, by id
    assert len(seen) == len(set(seen)) == 8


def test_finished_list_is_newest_first_with_pages(people, agent_api: Api) -> None:
    done = []
    for n in range(3):
        ticket = open_ticket(people.client, f"c{n}")
        agent_api.post(f"/tickets/{ticket.ref}/close", {"reason": "duplicate", "note": "dup"})
        done.append(ticket.ref)
    first = agent_api.get("/tickets", status="closed", limit=2).json()
    second = agent_api.get("/tickets", status="closed", limit=2, cursor=first["next_cursor"])
    refs = [t["ref"] for t in first["items"]] + [t["ref"] for t in second.json()["items"]]
    assert refs == done[::-1]
    assert second.json()["next_cursor"] is None


def test_a_bad_cursor_is_a_problem(people, agent_api: Api) -> None:
    answer = agent_api.get("/tickets", cursor="not-a-cursor")
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"


def test_create_with_level_opens_and_acknowledges(people, agent_api: Api) -> None:
    answer = agent_api.post(
        "/tickets",
        {
            "subject": "Exports fail",
            "text": "Since 9:00.",
            "level": 2,
            "contact": "claire@acme.example",
        },
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    ticket = Ticket.objects.get(pk=int(body["ref"].split("-")[1]))
    assert ticket.status == Status.NEW and ticket.severity == 2
    assert ticket.contact == people.client
    assert ticket.messages.filter(kind=MessageKind.ACKNOWLEDGEMENT).exists()
    assert OutboundMail.objects.filter(to__icontains="claire@acme.example").exists()


@pytest.mark.parametrize(
    ("level", "reason"), [(None, CloseReason.NO_SEVERITY), (7, CloseReason.INVALID_SEVERITY)]
)
def test_create_without_a_valid_level_closes_with_the_explanation(
    people, agent_api: Api, level: int | None, reason: CloseReason
) -> None:
    body = {"subject": "Help", "text": "Broken.", "contact": people.client.email}
    if level is not None:
        body["level"] = level
    answer = agent_api.post("/tickets", body)
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert created["status"] == Status.CLOSED and created["close_reason"] == reason
    ticket = Ticket.objects.get(pk=int(created["ref"].split("-")[1]))
    explained = ticket.messages.get(kind=MessageKind.PROTOCOL)
    assert "Severity" in explained.text or "Ernst" in explained.text
    assert OutboundMail.objects.filter(to__icontains=people.client.email).count() == 1


def test_staff_create_needs_a_known_contact(people, agent_api: Api) -> None:
    missing = agent_api.post("/tickets", {"subject": "x", "text": "y", "level": 3})
    assert missing.status_code == 422
    unknown = agent_api.post(
        "/tickets", {"subject": "x", "text": "y", "level": 3, "contact": "who@nowhere.example"}
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_reply_note_assign_close_reopen(people, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    ref = ticket.ref
    replied = agent_api.post(f"/tickets/{ref}/replies", {"text": "Looking into it."})
    assert replied.status_code == 201
    assert replied.json()["messages"][-1]["kind"] == MessageKind.REPLY
    noted = agent_api.post(f"/tickets/{ref}/notes", {"text": "Check the logs @bob"})
    assert noted.json()["messages"][-1]["direction"] == "internal"
    assigned = agent_api.post(f"/tickets/{ref}/assign", {"assignee": people.second_agent.username})
    assert assigned.json()["assignee"] == people.second_agent.username
    unassigned = agent_api.post(f"/tickets/{ref}/assign", {"assignee": None})
    assert unassigned.json()["assignee"] is None
    closed = agent_api.post(f"/tickets/{ref}/close", {"reason": "withdrawn", "note": "asked"})
    assert closed.json()["status"] == Status.CLOSED
    again = agent_api.post(f"/tickets/{ref}/close", {"reason": "withdrawn"})
    assert again.status_code == 422 and again.json()["code"] == "already_closed"
    assert ref in again.json()["detail"]
    reopened = agent_api.post(f"/tickets/{ref}/reopen", {"reason": "client wrote"})
    assert reopened.json()["status"] != Status.CLOSED


def test_client_token_sees_only_its_organisation(people, client_api: Api) -> None:
    mine = open_ticket(people.colleague)  # same organisation, another contact
    theirs = open_ticket(people.other_client)
    listed = [t["ref"] for t in client_api.get("/tickets").json()["items"]]
    assert listed == [mine.ref]
    assert client_api.get(f"/tickets/{theirs.ref}").status_code == 404
    for path, body in [
        (f"/tickets/{theirs.ref}/replies", {"text": "hi"}),
        (f"/tickets/{theirs.ref}/notes", {"text": "hi"}),
        (f"/tickets/{theirs.ref}/take", {}),
        (f"/tickets/{theirs.ref}/close", {"reason": "withdrawn"}),
    ]:
        answer = client_api.post(path, body)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "not_found"
    # The other organisation's filter lists nothing rather than their tickets.
    other = client_api.get("/tickets", organisation=people.other_org.pk).json()["items"]
    assert other == []


def test_client_token_reads_no_notes_history_or_assignee(people, agent_api, client_api) -> None:
    ticket = open_ticket(people.client)
    agent_api.post(f"/tickets/{ticket.ref}/notes", {"text": "secret"})
    agent_api.post(f"/tickets/{ticket.ref}/take")
    body = client_api.get(f"/tickets/{ticket.ref}").json()
    assert all(m["direction"] != "internal" for m in body["messages"])
    assert body["history"] == [] and body["assignee"] is None


def test_client_token_opens_and_replies_but_does_not_act(people, client_api: Api) -> None:
    created = client_api.post("/tickets", {"subject": "Slow", "text": "Very.", "level": 3})
    assert created.status_code == 201
    ref = created.json()["ref"]
    assert created.json()["contact"]["email"] == people.client.email
    other = client_api.post(
        "/tickets", {"subject": "x", "text": "y", "level": 3, "contact": people.other_client.email}
    )
    assert other.status_code == 404
    replied = client_api.post(f"/tickets/{ref}/replies", {"text": "Still slow."})
    assert replied.json()["messages"][-1]["direction"] == "inbound"
    for path in ("notes", "take", "close"):
        answer = client_api.post(f"/tickets/{ref}/{path}", {"text": "x", "reason": "withdrawn"})
        assert answer.status_code == 403 and answer.json()["code"] == "staff_only"


def test_client_reply_with_a_level_reopens_a_ticket_closed_without_one(people) -> None:
    staff = Api(tokens.issue("s", Scope.WRITE, user=people.agent).text)
    created = staff.post(
        "/tickets", {"subject": "Help", "text": "x", "contact": people.client.email}
    )
    ref = created.json()["ref"]
    client = Api(tokens.issue("c", Scope.WRITE, contact=people.client).text)
    refused = client.post(f"/tickets/{ref}/replies", {"text": "again"})
    assert refused.status_code == 422
    reopened = client.post(f"/tickets/{ref}/replies", {"text": "again", "level": 2})
    assert reopened.status_code == 201
    assert reopened.json()["severity"] == 2 and reopened.json()["status"] != Status.CLOSED
