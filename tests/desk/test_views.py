"""The queue's views: due within two business hours, sorted by arrival, and views saved by name."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from deskside.desk.models import SavedView
from deskside.desk.saved_views import MOST_PER_PERSON
from tests.desk.conftest import MONDAY_10, open_ticket, refs_in
from tests.people import People

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def queue(client: Client, **params: str) -> str:
    response = client.get("/desk/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_due_soon_lists_the_deadlines_of_the_next_two_business_hours(agent, people, time_machine):
    nine = MONDAY_10 - timedelta(hours=1)
    late = open_ticket(people, 1, "[Sev 1] Late", received_at=nine)  # due 09:30: breached
    soon = open_ticket(people, 1, "[Sev 1] Soon")  # 10:30
    major = open_ticket(people, 2, "[Sev 2] Major")  # 12:00: exactly two hours, still soon
    later = open_ticket(people, 3, "[Sev 3] Later")  # 8 business hours: Tuesday 10:00

    assert refs_in(queue(agent, soon="on")) == [soon.ref, major.ref]
    assert refs_in(queue(agent, breached="on")) == [late.ref]
    assert later.ref in refs_in(queue(agent))


def test_two_business_hours_reach_over_the_night(agent, people, time_machine):
    """At 16:30 two business hours end at 10:30 the next morning (the office closes at 17:00)."""
    evening = MONDAY_10.replace(hour=16, minute=30)
    major = open_ticket(people, 2, "[Sev 2] Major", received_at=evening - timedelta(hours=6))
    minor = open_ticket(people, 3, "[Sev 3] Minor", received_at=evening - timedelta(hours=7))
    # Major's first response was due at 12:30 (2 h): breached. Minor's is 8 business hours
    # from 09:30: Tuesday 09:30, within the two business hours that end Tuesday 10:30.
    time_machine.move_to(evening, tick=False)

    assert refs_in(queue(agent, soon="on")) == [minor.ref]
    assert major.ref not in refs_in(queue(agent, soon="on"))


def test_open_tickets_sort_by_arrival_either_way_page_by_page(agent, people):
    opened = [open_ticket(people, level, f"[Sev {level}] Number {n}")
              for n, level in enumerate([4, 1, 3, 2] * 14)]  # fmt: skip
    refs = [t.ref for t in opened]

    newest = queue(agent, order="newest")
    assert refs_in(newest) == refs[::-1][:50]
    after = newest.split('rel="next" href="?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = agent.get(f"/desk/?{after}").content.decode()
    assert refs_in(second) == refs[::-1][50:]
    assert refs_in(queue(agent, order="oldest")) == refs[:50]
    assert refs_in(queue(agent))[0] == refs[1]  # the queue's own order: level 1 first


def test_an_agent_saves_a_view_and_finds_it_on_the_queue(agent, people):
    page = queue(agent, breached="on", order="oldest", after="1.-.5")
    assert 'name="query" value="breached=on&amp;order=oldest"' in page

    saved = agent.post("/desk/views/", {"name": "  Late   ones ", "query": "breached=on&after=x"})

    assert saved.status_code == 302 and saved["Location"] == "/desk/?breached=on"
    view = SavedView.objects.get()
    assert (view.user, view.name, view.query) == (people.agent, "Late ones", "breached=on")
    views = queue(agent).split('aria-label="Your saved views"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="?breached=on" >Late ones</a>' in views
    assert 'aria-current="true">Late ones' in queue(agent, breached="on")


def test_saving_a_name_again_replaces_the_view(agent, people):
    agent.post("/desk/views/", {"name": "Mine", "query": "assignee=me"})
    agent.post("/desk/views/", {"name": "Mine", "query": "assignee=me&waiting=on"})
    assert list(SavedView.objects.values_list("name", "query")) == [
        ("Mine", "assignee=me&waiting=on")
    ]


def test_views_are_each_persons_own(agent, people: People):
    agent.post("/desk/views/", {"name": "Mine", "query": "assignee=me"})
    view = SavedView.objects.get()
    colleague = Client()
    colleague.force_login(people.second_agent)

    assert "Mine" not in queue(colleague)
    assert colleague.post(f"/desk/views/{view.pk}/remove/").status_code == 404
    assert SavedView.objects.count() == 1
    assert agent.post(f"/desk/views/{view.pk}/remove/").status_code == 302
    assert SavedView.objects.count() == 0


def test_a_view_needs_a_name_and_there_is_a_most(agent, people):
    agent.post("/desk/views/", {"name": "   ", "query": "waiting=on"})
    assert SavedView.objects.count() == 0
    for n in range(MOST_PER_PERSON):
        agent.post("/desk/views/", {"name": f"View {n}", "query": "waiting=on"})
    refused = agent.post("/desk/views/", {"name": "One more", "query": "waiting=on"}, follow=True)
    assert f"You have {MOST_PER_PERSON} views already" in refused.content.decode()
    assert SavedView.objects.count() == MOST_PER_PERSON


def test_views_keep_the_queue_within_its_queries(agent, people, django_assert_max_num_queries):
    for n in range(3):
        agent.post("/desk/views/", {"name": f"View {n}", "query": "waiting=on"})
        open_ticket(people, 2)
    with django_assert_max_num_queries(10):
        queue(agent, soon="on", order="newest")
