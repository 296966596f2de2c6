"""Organisations and contacts through the API: staff read them all, a client token only its
own organisation and its contacts (404 for any other, as for one that does not exist)."""

from __future__ import annotations

import pytest

from deskside.accounts.models import Contact
from tests.api.conftest import Api
from tests.people import People

pytestmark = pytest.mark.django_db


def test_staff_list_and_read_organisations(people: People, reader_api: Api) -> None:
    first = reader_api.get("/organisations", limit=1).json()
    assert first["items"] == [{"id": people.acme.pk, "name": people.acme.name}]
    rest = reader_api.get("/organisations", after=first["next_after"]).json()
    assert rest["items"] == [{"id": people.other_org.pk, "name": people.other_org.name}]
    assert rest["next_after"] is None
    acme = reader_api.get(f"/organisations/{people.acme.pk}").json()
    assert acme["name"] == people.acme.name and acme["contacts"] == 2
    assert reader_api.get("/organisations/999999").status_code == 404


def test_staff_find_contacts_by_prefix(people: People, reader_api: Api) -> None:
    found = reader_api.get("/contacts", q=people.other_client.email[:5].upper()).json()["items"]
    assert [c["email"] for c in found] == [people.other_client.email]
    one = reader_api.get(f"/contacts/{people.client.pk}").json()
    assert one["email"] == people.client.email
    assert one["organisation"] == {"id": people.acme.pk, "name": people.acme.name}
    assert reader_api.get("/contacts", q="x").status_code == 422


def test_a_client_token_sees_only_its_own_organisation(people: People, client_api: Api) -> None:
    listed = client_api.get("/organisations").json()["items"]
    assert [o["id"] for o in listed] == [people.acme.pk]
    assert client_api.get(f"/organisations/{people.acme.pk}").status_code == 200
    other = client_api.get(f"/organisations/{people.other_org.pk}")
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert client_api.get(f"/contacts/{people.colleague.pk}").status_code == 200
    assert client_api.get(f"/contacts/{people.other_client.pk}").status_code == 404
    found = client_api.get("/contacts", q=people.other_client.email[:5]).json()["items"]
    assert found == []


def test_a_client_finds_its_colleague_among_many_of_others(people: People, client_api: Api) -> None:
    """The search is within the organisation: not the desk's first 20 matches, filtered after."""
    Contact.objects.bulk_create(
        Contact(email=f"aa{i:02}@elsewhere.example", organisation=people.other_org)
        for i in range(25)
    )
    people.colleague.email = "aaron@acme.example"
    people.colleague.save()
    found = client_api.get("/contacts", q="aa").json()["items"]
    assert [c["email"] for c in found] == ["aaron@acme.example"]
