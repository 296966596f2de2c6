"""A month's figures through the API: leads read the desk's, a client token its own
organisation's as the portal shows them, never another's."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from deskside.api import tokens
from deskside.api.models import Scope
from deskside.tickets.models import Door, Ticket
from deskside.tickets.policy import calendar
from tests.api.conftest import Api, open_ticket
from tests.people import People

pytestmark = pytest.mark.django_db


def _month() -> str:
    return timezone.now().astimezone(calendar().tz).strftime("%Y-%m")


def test_a_lead_reads_the_desk_s_figures(people: People) -> None:
    open_ticket(people.client, level=1)
    open_ticket(people.other_client, level=3)
    lead = Api(tokens.issue("lead", Scope.READ, user=people.lead).text)
    body = lead.get("/reports/month", month=_month()).json()
    assert body["received"] == 2 and body["organisation"] is None
    assert {"level": 1, "tickets": 1} in body["by_level"]
    assert {c["clock"] for c in body["clocks"]} >= {"first_response", "goal"}
    assert len(body["open_tickets"]) == 2
    acme = lead.get("/reports/month", month=_month(), organisation=people.acme.pk).json()
    assert acme["received"] == 1


def test_an_agent_is_not_a_lead(people: People, reader_api: Api) -> None:
    answer = reader_api.get("/reports/month", month=_month())
    assert answer.status_code == 403 and answer.json()["code"] == "leads_only"


def test_a_client_reads_only_its_organisation_s_figures(people: People, client_api: Api) -> None:
    mine = open_ticket(people.client, "ours", level=2)
    theirs = open_ticket(people.other_client, "theirs", level=1)
    body = client_api.get("/reports/month", month=_month()).json()
    assert body["organisation"] == people.acme.pk and body["received"] == 1
    assert [t["ref"] for t in body["open_tickets"]] == [mine.ref]
    assert theirs.ref not in str(body) and "theirs" not in str(body)
    assert body["closes"] == {} and body["breaches"] == 0
    other = client_api.get("/reports/month", month=_month(), organisation=people.other_org.pk)
    assert other.status_code == 404
    assert client_api.get("/reports/month", month="2026-13").status_code == 422
    assert client_api.get("/reports/month", month="0000-01").status_code == 422


def test_tickets_opened_through_the_api_are_counted_at_its_door(
    people: People, agent_api: Api, client_api: Api, client: Client
) -> None:
    """The lead's load by door: a system's ticket (staff or client token) and a monitoring
    alert's come in by the API, a client's mail by mail."""
    body = {"subject": "Export fails", "text": "Since this morning.", "level": 3}
    assert agent_api.post("/tickets", {**body, "contact": people.client.email}).status_code == 201
    assert client_api.post("/tickets", body).status_code == 201
    open_ticket(people.other_client, "The nightly job stopped")  # by mail
    client.force_login(people.lead)
    day = timezone.now().astimezone(calendar().tz).date().isoformat()
    doors = client.get(f"/desk/reports/doors.csv?period=week&day={day}").content.decode()
    assert f"\r\n{day},1,0,0,2,3\r\n" in doors  # mail, portal, desk, API, total
    assert set(Ticket.objects.values_list("door", flat=True)) == {Door.MAIL, Door.API}
