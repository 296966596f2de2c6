"""The desk's bell: a count of what is unread on every desk page, the list, and the settings."""

from __future__ import annotations

from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import Delivery, NotificationKind, NotificationSetting
from tests.desk.conftest import open_ticket


def test_the_bell_counts_what_is_unread_and_opening_the_ticket_reads_it(agent, people):
    ticket = open_ticket(people, level=3)
    actions.assign(ticket, people.agent, by=Actor.staff(people.lead))

    queue = agent.get("/desk/").content.decode()
    listed = agent.get("/desk/notifications/").content.decode()
    opened = agent.get(f"/desk/ticket/{ticket.ref}/").content.decode()
    after = agent.get("/desk/").content.decode()

    assert 'aria-label="Notifications: 1 unread"' in queue
    assert f'<a href="/desk/ticket/{ticket.ref}/">[{ticket.ref}] Assigned to you:' in listed
    assert '<span class="chip">new</span>' in listed
    assert "Notifications: 1 unread" not in opened  # read once the ticket is open
    assert "unread" not in after.split("<main")[0]


def test_mark_all_as_read(agent, people):
    for level in (3, 4):
        actions.assign(open_ticket(people, level=level), people.agent, by=Actor.staff(people.lead))

    answer = agent.post("/desk/notifications/read/", follow=True)

    page = answer.content.decode()
    assert "Marked 2 notifications as read." in page
    assert '<span class="chip">new</span>' not in page


def test_a_person_chooses_how_to_hear_of_each_kind(agent, people):
    form = agent.get("/desk/notifications/settings/").content.decode()
    choices = {kind.value: Delivery.DESK_AND_MAIL.value for kind in NotificationKind}
    choices[NotificationKind.CLOCK_WARNING.value] = Delivery.OFF.value
    choices[NotificationKind.MENTION.value] = Delivery.DESK.value

    answer = agent.post("/desk/notifications/settings/", choices, follow=True)

    assert "A clock is at 75%" in form and "In the desk only" in form
    assert "Your notification settings are saved." in answer.content.decode()
    saved = dict(
        NotificationSetting.objects.filter(user=people.agent).values_list("kind", "delivery")
    )
    assert saved[NotificationKind.CLOCK_WARNING] == Delivery.OFF
    assert saved[NotificationKind.MENTION] == Delivery.DESK
    assert saved[NotificationKind.ASSIGNED] == Delivery.DESK_AND_MAIL
