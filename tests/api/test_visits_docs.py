"""Visits and the documentation backlog through the API: staff read them, a client token may
not, and a ticket of another organisation is a 404 before anything else."""

from __future__ import annotations

import pytest

from deskside.docs import actions as docs
from deskside.onsite import actions as onsite
from tests.api.conftest import Api, open_ticket
from tests.people import People

pytestmark = pytest.mark.django_db


def test_staff_read_visits(people: People, reader_api: Api) -> None:
    ticket = open_ticket(people.client)
    visit = onsite.request_visit(ticket, "The server does not boot.", by=people.agent)
    [row] = reader_api.get("/visits").json()["items"]
    assert row["id"] == visit.pk and row["ticket"] == ticket.ref
    assert row["reason"] == "The server does not boot." and row["status"] == visit.status
    assert reader_api.get("/visits", status="done").json()["items"] == []
    assert reader_api.get("/visits", technician="me").json()["items"] == []
    assert [v["id"] for v in reader_api.get(f"/tickets/{ticket.ref}/visits").json()] == [visit.pk]


def test_a_client_token_reads_no_visits(people: People, client_api: Api) -> None:
    mine, theirs = open_ticket(people.client), open_ticket(people.other_client)
    onsite.request_visit(mine, "On site, please.", by=people.agent)
    assert client_api.get("/visits").json()["code"] == "staff_only"
    assert client_api.get(f"/tickets/{mine.ref}/visits").status_code == 403
    assert client_api.get(f"/tickets/{theirs.ref}/visits").status_code == 404


def test_staff_read_the_documentation_backlog(
    people: People, reader_api: Api, client_api: Api
) -> None:
    ticket = open_ticket(people.client, level=4)
    change = docs.add_change(
        ticket, document="ops_doc", what="Explain the backup window.", by=people.agent
    )
    [row] = reader_api.get("/doc-changes").json()
    assert row["id"] == change.pk and row["ticket"] == ticket.ref
    assert row["what"] == "Explain the backup window." and row["due"] is not None
    assert isinstance(row["seconds_left"], int) and row["mark"] == ""
    assert client_api.get("/doc-changes").status_code == 403
