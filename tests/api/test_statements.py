"""The statements one API request runs: on PostgreSQL each is a round trip to the server, a
good part of a request's time (issue 17: 200 tickets opened a second at a million)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deskside.tickets.actions import NewFile
from tests.api.conftest import Api, open_ticket

# Committed for real (the mail's kick runs after the commit, as in production).
pytestmark = pytest.mark.django_db(transaction=True)

# Transaction control: SQLite's writers' queue sends BEGIN and COMMIT as statements, psycopg
# does not: they are left out of the count so that it is the same on both databases.
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def _statements(captured: CaptureQueriesContext) -> list[str]:
    return [
        str(q["sql"])
        for q in captured.captured_queries
        if not str(q["sql"]).lstrip().upper().startswith(_CONTROL)
    ]


def _create(api: Api) -> list[str]:
    body = {"subject": "Exports fail", "text": "Since 9:00.", "level": 3}
    with CaptureQueriesContext(connection) as captured:
        answer = api.post("/tickets", {**body, "contact": "claire@acme.example"})
    assert answer.status_code == 201, answer.content
    return _statements(captured)


def test_a_staff_create_takes_fifteen_statements(people, agent_api: Api) -> None:
    """The token with its user and roles (1), its use (1), the contact (1), the ticket, message,
    event and the reports' stale mark (4), the webhook subscribers (1), the acknowledgement's
    mail, message and event (3: the ticket is marked already), the kick (1) and the answer (3:
    messages, events, organisation; the files only when a message has some)."""
    _create(agent_api)  # the first of a process reads what it keeps (content types, ...)
    statements = _create(agent_api)
    assert len(statements) == 15, "\n".join(statements)


def test_files_are_read_only_for_a_ticket_that_has_some(people, agent_api: Api) -> None:
    plain = open_ticket(people.client)
    with CaptureQueriesContext(connection) as captured:
        assert agent_api.get(f"/tickets/{plain.ref}").json()["messages"][0]["attachments"] == []
    assert not any('"tickets_attachment" WHERE' in q["sql"] for q in captured.captured_queries)
    report = NewFile("report.pdf", "application/pdf", b"%PDF-1.4 acme report")
    with_file = open_ticket(people.client, files=(report,))
    listed = agent_api.get(f"/tickets/{with_file.ref}").json()["messages"][0]["attachments"]
    assert [f["filename"] for f in listed] == ["report.pdf"]
