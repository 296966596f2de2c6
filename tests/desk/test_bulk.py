"""Bulk actions on the queue: tick tickets, then assign, take, note or close them at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from deskside.accounts.roles import Role
from deskside.core.cooperation import RefusalSource
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, EventKind, MessageKind, Status, Ticket
from tests.desk.conftest import MONDAY_10, open_ticket, refs_in
from tests.people import People

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def bulk(client: Client, action: str, tickets: list[Ticket], **data: str):
    """Post the bulk form as the queue does, then follow to the queue that shows the outcome."""
    posted = {"action": action, "ticket": [str(t.pk) for t in tickets], **data}
    response = client.post("/desk/bulk/", posted)
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def events(ticket: Ticket, kind: EventKind) -> int:
    return ticket.events.filter(kind=kind).count()


def test_the_queue_has_a_labelled_checkbox_per_row_and_select_all(agent, people):
    ticket = open_ticket(people, 3)
    html = agent.get("/desk/").content.decode()
    assert f'<input type="checkbox" name="ticket" value="{ticket.pk}" form="bulk"' in html
    assert f'aria-label="Select {ticket.ref}"' in html
    assert 'aria-label="Select all tickets on this page"' in html
    assert '<form id="bulk"' in html and "csrfmiddlewaretoken" in html
    assert refs_in(html) == [ticket.ref]


def test_closing_in_bulk_closes_each_and_lists_the_refused_with_its_sentence(agent, people):
    tickets = [open_ticket(people, 3) for _ in range(4)]
    actions.close(tickets[1], CloseReason.WITHDRAWN, by=Actor.staff(people.agent))

    page = bulk(agent, "close", tickets, reason="solved", note="Fixed by the patch of 23/11.")
    html = page.content.decode()

    assert "3 closed, 1 refused." in html
    assert f'<a href="/desk/ticket/{tickets[1].ref}/">{tickets[1].ref}</a>: ' in html
    assert f"{tickets[1].ref} is already closed." in html
    for ticket in (tickets[0], tickets[2], tickets[3]):
        ticket.refresh_from_db()
        assert ticket.status == Status.CLOSED and ticket.close_reason == CloseReason.SOLVED
        assert events(ticket, EventKind.CLOSED) == 1
    tickets[1].refresh_from_db()
    assert tickets[1].close_reason == CloseReason.WITHDRAWN  # untouched by the refusal
    # Shown once: the next view of the queue no longer says it.
    assert "3 closed" not in agent.get("/desk/").content.decode()


def test_a_refusal_in_the_middle_does_not_undo_the_others(agent, people):
    """Closing as client_refused needs evidence: refused where there is none, done elsewhere."""
    first, second = open_ticket(people, 3), open_ticket(people, 3)
    actions.propose_steps(second, "Restart the export.", by=Actor.staff(people.agent))
    actions.record_refusal(
        second, by=Actor.client(people.client), reason="No.", source=RefusalSource.PORTAL
    )

    html = bulk(agent, "close", [first, second], reason="client_refused").content.decode()

    assert "1 closed, 1 refused." in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.NEW, Status.CLOSED)
    assert first.ref in html.split("Refused:")[1]


def test_assign_take_and_note_in_bulk_write_one_event_per_ticket(agent, people):
    tickets = [open_ticket(people, 3) for _ in range(3)]

    html = bulk(agent, "assign", tickets, assignee=str(people.second_agent.pk)).content.decode()
    assert "3 assigned to Bob, 0 refused." in html
    assert all(events(t, EventKind.ASSIGNED) == 1 for t in tickets)

    html = bulk(
        agent, "note", tickets, note="Same cause as CCS-1: the export job."
    ).content.decode()
    assert "Note added to 3, 0 refused." in html
    for ticket in tickets:
        notes = ticket.messages.filter(kind=MessageKind.NOTE)
        assert [n.text for n in notes] == ["Same cause as CCS-1: the export job."]
        assert events(ticket, EventKind.MESSAGE) == 1


def test_taking_in_bulk_leaves_a_colleagues_ticket_to_its_page(agent, people):
    mine, free = open_ticket(people, 3), open_ticket(people, 3)
    theirs = open_ticket(people, 3)
    actions.assign(theirs, people.second_agent, by=Actor.staff(people.second_agent))

    html = bulk(agent, "take", [mine, free, theirs]).content.decode()

    assert "2 taken, 1 refused." in html
    assert f"{theirs.ref} is Bob&#x27;s: take it from its page, which asks first." in html
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[mine.pk, free.pk])} == {
        people.agent.pk
    }
    theirs.refresh_from_db()
    assert theirs.assignee_id == people.second_agent.pk


def test_an_action_without_its_field_or_tickets_is_said_and_changes_nothing(agent, people):
    ticket = open_ticket(people, 3)
    html = bulk(agent, "close", [ticket]).content.decode()
    assert "Choose the reason to close them." in html
    html = bulk(agent, "note", [], note="Something").content.decode()
    assert "Tick at least one ticket first." in html
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW and not ticket.messages.filter(kind=MessageKind.NOTE)


def test_ticked_values_that_are_no_ticket_number_are_dropped(agent, people):
    """The digit "²" (str.isdigit) is no int, and 20 digits fit no key: both were 500s."""
    response = agent.post(
        "/desk/bulk/", {"action": "take", "ticket": ["²", "99999999999999999999"]}, follow=True
    )
    assert response.status_code == 200  # back on the queue, which says why
    assert "Tick at least one ticket first." in response.content.decode()


@pytest.mark.parametrize("who", ["technician", "admin group, no superuser"])
def test_who_cannot_change_tickets_gets_no_bulk_form_and_cannot_post_one(
    client, people: People, who: str
):
    """The form is offered to exactly those whom the post lets through."""
    ticket = open_ticket(people, 3)
    user = people.technician
    if who != "technician":
        user = User.objects.create(username="ada", is_staff=True)
        user.groups.add(Group.objects.get(name=Role.ADMIN))
    client.force_login(user)
    html = client.get("/desk/").content.decode()
    assert 'id="bulk"' not in html and 'name="ticket"' not in html
    assert 'href="/desk/new/"' not in html  # nor "New ticket", which would refuse them too

    response = client.post(
        "/desk/bulk/", {"action": "close", "ticket": [ticket.pk], "reason": "solved"}
    )

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_the_bulk_form_needs_the_csrf_token(people):
    ticket = open_ticket(people, 3)
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.agent)
    response = client.post("/desk/bulk/", {"action": "take", "ticket": [ticket.pk]})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_the_queue_with_its_bulk_form_takes_at_most_ten_queries(
    agent, people, django_assert_max_num_queries
):
    for i in range(60):
        open_ticket(people, 1 + i % 4)
    policy.clear()  # the worst case, as in test_queue: nothing cached
    with django_assert_max_num_queries(10):
        html = agent.get("/desk/", {"organisation": people.acme.pk}).content.decode()
    assert len(refs_in(html)) == 50
    assert html.count('form="bulk"') == 50


def test_back_to_the_same_filtered_queue_and_nowhere_else(agent, people):
    ticket = open_ticket(people, 3)
    response = agent.post(
        "/desk/bulk/", {"action": "take", "ticket": [ticket.pk], "back": "level=3&status=new"}
    )
    assert response["Location"] == "/desk/?level=3&status=new"
    response = agent.post(
        "/desk/bulk/", {"action": "take", "ticket": [ticket.pk], "back": "//evil.example/"}
    )
    assert response["Location"] == "/desk/"


def test_the_outcome_is_said_in_the_readers_language(agent, people):
    ticket = open_ticket(people, 3)
    response = agent.post(
        "/desk/bulk/", {"action": "take", "ticket": [ticket.pk]}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    html = agent.get(response["Location"], HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "1 overgenomen, 0 geweigerd." in html
    assert f'aria-label="{ticket.ref} selecteren"' in html
