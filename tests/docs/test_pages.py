"""The documentation section of a level-4 ticket page and the backlog page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskside.docs import actions
from deskside.docs.models import DocChange
from deskside.tickets import policy
from tests.desk.conftest import open_ticket

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
WEDNESDAY = datetime(2026, 11, 25, 11, 0, tzinfo=BRUSSELS)


@pytest.fixture(autouse=True)
def _wednesday(time_machine):
    policy.clear()
    time_machine.move_to(WEDNESDAY, tick=False)


@pytest.fixture
def agent(client, people):
    client.force_login(people.agent)
    return client


def test_a_level_4_ticket_page_offers_the_documentation_section(agent, people):
    level4 = open_ticket(people, 4, "[Sev 4] Where is the restore procedure?")
    level2 = open_ticket(people, 2)

    page = agent.get(f"/desk/ticket/{level4.ref}/").content.decode()
    assert "Documentation changes" in page
    assert "Add a documentation change" in page and "No change needed" in page
    assert "Documentation changes" not in agent.get(f"/desk/ticket/{level2.ref}/").content.decode()


def test_an_agent_adds_then_edits_a_change_from_the_ticket_page(agent, people):
    ticket = open_ticket(people, 4, "[Sev 4] Where is the restore procedure?")

    response = agent.post(
        f"/desk/docs/ticket/{ticket.ref}/add/",
        {
            "document": "ops_doc",
            "what": "Add the restore steps",
            "where": "§7",
            "status": "planned",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/desk/ticket/{ticket.ref}/#docs"
    page = agent.get(response["Location"]).content.decode()
    assert "Add the restore steps" in page and "planned" in page
    change = DocChange.objects.get()
    edit_page = agent.get(f"/desk/docs/{change.pk}/edit/").content.decode()
    assert "Add the restore steps" in edit_page

    response = agent.post(
        f"/desk/docs/{change.pk}/edit/",
        {"document": "ops_doc", "what": "Restore steps added", "where": "§7", "status": "done"},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.what, change.status) == ("Restore steps added", "done")


def test_a_refused_change_comes_back_with_the_sentence(agent, people):
    ticket = open_ticket(people, 2)

    response = agent.post(
        f"/desk/docs/ticket/{ticket.ref}/add/",
        {"document": "ops_doc", "what": "x", "where": "", "status": "planned"},
    )

    assert response.status_code == 422
    assert "documentation changes are recorded on level-4 tickets" in response.content.decode()


def test_no_change_needed_from_the_ticket_page(agent, people):
    ticket = open_ticket(people, 4, "[Sev 4] Question")

    response = agent.post(
        f"/desk/docs/ticket/{ticket.ref}/no-change/", {"reason": "The doc is right."}
    )

    assert response.status_code == 302
    page = agent.get(f"/desk/ticket/{ticket.ref}/").content.decode()
    assert "No change needed</strong>: The doc is right." in page


def test_a_technician_reads_but_does_not_add(client, people):
    ticket = open_ticket(people, 4, "[Sev 4] Question")
    client.force_login(people.technician)

    response = client.post(f"/desk/docs/ticket/{ticket.ref}/no-change/", {"reason": "x"})

    assert response.status_code == 403
    assert not DocChange.objects.exists()


def test_the_backlog_page_lists_planned_changes_and_marks_the_breach(agent, people, time_machine):
    ticket = open_ticket(
        people, 4, "[Sev 4] Restore", received_at=datetime(2026, 11, 23, 10, tzinfo=BRUSSELS)
    )
    actions.add_change(
        ticket, document="ops_doc", what="Restore steps", where="§7", by=people.agent
    )
    actions.add_change(
        ticket, document="design_doc", what="Done one", status="done", by=people.agent
    )

    page = agent.get("/desk/docs/").content.decode()
    assert "Restore steps" in page and "Done one" not in page
    assert "due-breach" not in page and "left" in page

    ticket.refresh_from_db()
    assert ticket.documentation_due is not None
    time_machine.move_to(ticket.documentation_due + timedelta(days=2), tick=False)
    agent.force_login(people.agent)  # the session of weeks ago has expired
    page = agent.get("/desk/docs/").content.decode()
    assert 'class="due-breach"' in page and "overdue by" in page and "1 overdue." in page


def test_the_backlog_needs_staff(client, people):
    assert client.get("/desk/docs/").status_code == 302
