"""A client's answer to proposed steps and the tickets' files, through the API: the portal's
rules (a client token answers, only its organisation's public files), 404 for the rest."""

from __future__ import annotations

import pytest

from deskside.api import tokens
from deskside.api.models import Scope
from deskside.tickets import actions
from deskside.tickets.actions import NewFile, NewMessage
from deskside.tickets.models import Direction, MessageKind, Status
from tests.api.conftest import Api, open_ticket
from tests.people import People

pytestmark = pytest.mark.django_db

REPORT = NewFile("report.pdf", "application/pdf", b"%PDF-1.4 acme report")


def _proposed(people: People) -> str:
    ticket = open_ticket(people.client)
    actions.propose_steps(ticket, "Restart the export.", by=actions.Actor.staff(people.agent))
    return ticket.ref


def test_client_refuses_steps_and_the_ticket_resumes(people: People, client_api: Api) -> None:
    ref = _proposed(people)
    answer = client_api.post(f"/tickets/{ref}/refusal", {"reason": "No downtime today."})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == Status.OPEN
    again = client_api.post(f"/tickets/{ref}/refusal", {"reason": "again"})
    assert again.status_code == 200  # the portal allows a second refusal of the same steps
    plain = open_ticket(people.client)
    refused = client_api.post(f"/tickets/{plain.ref}/refusal", {})
    assert refused.status_code == 422 and refused.json()["code"] == "no_proposed_steps"


def test_client_says_steps_worked(people: People, client_api: Api) -> None:
    ref = _proposed(people)
    answer = client_api.post(f"/tickets/{ref}/steps-worked")
    assert answer.status_code == 200, answer.content
    assert answer.json()["messages"][-1]["text"] == "The proposed steps worked."


def test_only_the_ticket_s_client_answers(people: People, agent_api: Api) -> None:
    ref = _proposed(people)
    assert agent_api.post(f"/tickets/{ref}/refusal", {}).json()["code"] == "client_only"
    other = Api(tokens.issue("globex", Scope.WRITE, contact=people.other_client).text)
    assert other.post(f"/tickets/{ref}/refusal", {}).status_code == 404
    assert other.post(f"/tickets/{ref}/steps-worked").status_code == 404
    reader = Api(tokens.issue("acme-read", Scope.READ, contact=people.client).text)
    assert reader.post(f"/tickets/{ref}/steps-worked").json()["code"] == "read_only"


def test_files_are_listed_and_downloaded_as_the_portal_does(
    people: People, client_api: Api, agent_api: Api
) -> None:
    ticket = open_ticket(people.client, files=(REPORT,))
    listed = client_api.get(f"/tickets/{ticket.ref}").json()["messages"][0]["attachments"]
    assert [(f["filename"], f["size"]) for f in listed] == [("report.pdf", len(REPORT.payload))]
    path = f"/tickets/{ticket.ref}/attachments/{listed[0]['token']}"
    answer = client_api.get(path)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == REPORT.payload
    assert answer["Content-Type"] == "application/octet-stream"
    assert answer["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert agent_api.get(path).status_code == 200
    other = Api(tokens.issue("globex", Scope.READ, contact=people.other_client).text)
    assert other.get(path).status_code == 404
    elsewhere = open_ticket(people.client, "another")
    assert (
        client_api.get(f"/tickets/{elsewhere.ref}/attachments/{listed[0]['token']}").status_code
        == 404
    )


def test_a_note_s_file_is_staff_only(people: People, client_api: Api, agent_api: Api) -> None:
    ticket = open_ticket(people.client)
    note = actions.add_system_message(
        ticket,
        NewMessage(
            direction=Direction.INTERNAL,
            kind=MessageKind.NOTE,
            text="see the audit",
            files=(NewFile("audit.txt", "text/plain", b"internal audit"),),
        ),
        by=actions.SYSTEM,
    ).posted
    assert note is not None
    token = note.attachments.get().stored_name
    path = f"/tickets/{ticket.ref}/attachments/{token}"
    assert client_api.get(path).status_code == 404
    assert agent_api.get(path).status_code == 200
