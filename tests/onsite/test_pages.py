"""The visit pages as staff use them: the ticket page's section, the request form, scheduling
with a clear refusal, the technician's own list, and the report form."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User

from deskside.onsite import actions
from deskside.onsite.models import Visit, VisitStatus
from tests.desk.conftest import open_ticket

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BRUSSELS)


def scheduled_for(people, technician, subject):
    ticket = open_ticket(people, 2, subject)
    visit = actions.request_visit(ticket, "On-site hardware", by=people.agent)
    return actions.schedule(
        visit, technician=technician, start=TUESDAY_10, duration=timedelta(hours=1), by=people.agent
    )


def test_an_agent_requests_a_visit_from_the_ticket_page(client, people):
    ticket = open_ticket(people, 2)
    client.force_login(people.agent)

    page = client.get(f"/desk/ticket/{ticket.ref}/").content.decode()
    assert "On-site visits" in page and "Request an on-site visit" in page

    response = client.post(f"/desk/visits/request/{ticket.ref}/", {"reason": "Printer on site"})
    visit = Visit.objects.get(ticket=ticket)
    assert response.status_code == 302 and response["Location"] == f"/desk/visits/{visit.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Visit requested (province Antwerp)" in page
    assert "Schedule and send the invitation" in page
    assert "Requested" in client.get(f"/desk/ticket/{ticket.ref}/").content.decode()


def test_a_request_without_reason_is_shown_again_with_the_error(client, people):
    ticket = open_ticket(people, 2)
    client.force_login(people.agent)

    response = client.post(f"/desk/visits/request/{ticket.ref}/", {"reason": ""})

    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Visit.objects.exists()


def test_a_technician_cannot_request_a_visit(client, people):
    ticket = open_ticket(people, 2)
    client.force_login(people.technician)

    response = client.post(f"/desk/visits/request/{ticket.ref}/", {"reason": "x"})

    assert response.status_code == 403
    assert not Visit.objects.exists()


def test_scheduling_on_a_saturday_is_refused_with_a_clear_sentence(client, people):
    ticket = open_ticket(people, 2)
    visit = actions.request_visit(ticket, "Printer", by=people.agent)
    client.force_login(people.agent)

    response = client.post(
        f"/desk/visits/{visit.pk}/schedule/",
        {"technician": people.technician.pk, "start": "2026-11-28T10:00", "minutes": "60"},
    )

    assert response.status_code == 422
    assert "is outside business hours" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED

    response = client.post(
        f"/desk/visits/{visit.pk}/schedule/",
        {"technician": people.technician.pk, "start": "2026-11-24T10:00", "minutes": "60"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.start) == (VisitStatus.SCHEDULED, TUESDAY_10)


def test_the_technician_page_lists_only_their_own_visits_coming_first(client, people):
    tara = User.objects.create_user("tara", "tara@ccs2.test", "pw", first_name="Tara")
    tara.groups.add(Group.objects.get(name="technician"))
    toms = scheduled_for(people, people.technician, "[Sev 2] Tom's printer")
    taras = scheduled_for(people, tara, "[Sev 2] Tara's scanner")
    done = scheduled_for(people, people.technician, "[Sev 2] Tom's old job")
    actions.report(
        done, outcome="Fixed", time_spent=timedelta(minutes=30), solved=True, by=people.technician
    )
    client.force_login(people.technician)

    page = client.get("/desk/visits/").content.decode()

    assert "Tom&#x27;s printer" in page and "Tom&#x27;s old job" in page
    assert "Tara&#x27;s scanner" not in page and taras.ticket.ref not in page
    assert page.index("Coming up") < page.index(toms.ticket.ref) < page.index("Done and cancelled")
    assert page.index("Done and cancelled") < page.index(done.ticket.ref)


def test_the_visit_page_needs_staff(client, people):
    visit = scheduled_for(people, people.technician, "[Sev 2] Printer")
    assert client.get(f"/desk/visits/{visit.pk}/").status_code == 302  # to the sign-in page
    assert client.get("/desk/visits/").status_code == 302


def test_the_technician_files_the_report_from_the_visit_page(client, people):
    visit = scheduled_for(people, people.technician, "[Sev 2] Printer")
    client.force_login(people.technician)
    assert "File the report" in client.get(f"/desk/visits/{visit.pk}/").content.decode()

    response = client.post(
        f"/desk/visits/{visit.pk}/report/",
        {"outcome": "Cable replaced.", "minutes": "40", "solved": "no"},
    )

    assert response.status_code == 302 and response["Location"] == "/desk/visits/"
    visit.refresh_from_db()
    assert (visit.status, visit.solved) == (VisitStatus.DONE, False)
    client.force_login(people.agent)
    ticket_page = client.get(f"/desk/ticket/{visit.ticket.ref}/").content.decode()
    assert "On-site visit report by Tom" in ticket_page and "Cable replaced." in ticket_page


def test_another_member_of_staff_cannot_file_the_report(client, people):
    visit = scheduled_for(people, people.technician, "[Sev 2] Printer")
    client.force_login(people.second_agent)

    response = client.post(
        f"/desk/visits/{visit.pk}/report/", {"outcome": "x", "minutes": "5", "solved": "yes"}
    )

    assert response.status_code == 403
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
