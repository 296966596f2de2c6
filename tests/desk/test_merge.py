"""The ticket page's "Merge into…" and "Link to…" forms, and what the page then shows on both
tickets: the merged ticket's messages on the target, related tickets with a way to unlink."""

from __future__ import annotations

import html as entities

import pytest

from deskside.tickets.models import CloseReason, LinkKind, Status, TicketLink
from tests.desk.conftest import MONDAY_10, open_ticket
from tests.desk.test_ticket_page import page, post, refused

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


@pytest.fixture
def target(people):
    return open_ticket(people, 3, "[Sev 3] Printer jams", text="Tray 2 jams on every job.")


@pytest.fixture
def duplicate(people):
    return open_ticket(people, 3, "[Sev 3] Tray 2", text="The second tray eats paper.")


def test_merge_from_the_page_closes_it_and_the_target_shows_its_messages(
    agent, people, target, duplicate
):
    # The number alone is enough; the reference is found in any case.
    answer = post(agent, duplicate, "merge", into=str(target.pk), note="same printer")

    assert answer.status_code == 302
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.close_reason) == (Status.CLOSED, CloseReason.DUPLICATE)
    shown = page(agent, duplicate)
    assert f'Merged into <a href="/desk/ticket/{target.ref}/">{target.ref}</a>' in shown
    assert "Merge into…" not in shown  # closed: nothing left to merge
    on_target = page(agent, target)
    assert f'Merged from <a href="/desk/ticket/{duplicate.ref}/">{duplicate.ref}</a>' in on_target
    assert "The second tray eats paper." in on_target
    assert f"{duplicate.ref} was merged into this ticket as a duplicate" in on_target


def test_merge_refusals_are_said_in_the_form(agent, people, target, duplicate):
    html = refused(post(agent, duplicate, "merge", into="CCS-999999"), "There is no ticket")
    assert "<details open><summary>Merge into…" in html
    refused(
        post(agent, duplicate, "merge", into=duplicate.ref),
        f"{duplicate.ref} cannot be merged into itself.",
    )
    post(agent, target, "close", reason=CloseReason.WITHDRAWN)
    refused(
        post(agent, duplicate, "merge", into=target.ref.lower()),
        entities.escape(f"{target.ref} is closed: merge into an open ticket"),
    )
    assert not TicketLink.objects.exists()


@pytest.mark.parametrize("into", ["²", "99999999999999999999"])
def test_a_number_that_is_no_ticket_is_said_not_a_500(agent, people, duplicate, into):
    refused(post(agent, duplicate, "merge", into=into), "There is no ticket")


def test_the_close_form_leaves_duplicate_to_the_merge(agent, people, duplicate):
    html = refused(post(agent, duplicate, "close", reason="duplicate"), "Select a valid choice.")
    assert '<option value="duplicate"' not in html


def test_a_technician_cannot_merge(client, people, target, duplicate):
    client.force_login(people.technician)
    assert post(client, duplicate, "merge", into=target.ref).status_code == 403
    assert "Merge into…" not in page(client, duplicate)


def test_link_shows_on_both_pages_and_unlinks(agent, people, target, duplicate):
    assert post(agent, duplicate, "link", other=target.ref).status_code == 302
    assert TicketLink.objects.get().kind == LinkKind.RELATED

    for ticket, other in ((duplicate, target), (target, duplicate)):
        assert f'Related to <a href="/desk/ticket/{other.ref}/">{other.ref}</a>' in page(
            agent, ticket
        )
    refused(
        post(agent, target, "link", other=duplicate.ref),
        f"{target.ref} is already linked to {duplicate.ref}.",
    )

    assert post(agent, target, "unlink", other=duplicate.ref).status_code == 302
    assert "Related to <a" not in page(agent, duplicate)
    assert f"No longer linked to {target.ref}" in page(agent, duplicate)
