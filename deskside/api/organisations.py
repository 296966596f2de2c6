"""/api/v1/organisations and /contacts: who the clients are, for staff to read.

A client token sees its own organisation and that organisation's contacts (those it may open a
ticket for); any other is a 404, as one that does not exist. The search `q` is the desk's own
prefix lookup over the folded address and name indexes (tickets.search.matching_clients).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.params.functions import Path

from deskside.accounts.models import Contact, Organisation
from deskside.api.auth import Caller, caller
from deskside.api.pages import LAST_ID, LIMIT, by_id
from deskside.api.problems import COMMON, ApiProblem
from deskside.api.schemas import In, OrganisationOut
from deskside.tickets.search import matching_clients

router = Router(tags=["organisations"])

ID = Path(ge=1, le=2**63 - 1)


class Postal(Schema):
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str


class OrganisationDetail(OrganisationOut):
    address: Postal
    contacts: int = Field(description="How many contacts it has.")


class OrganisationPage(Schema):
    items: list[OrganisationOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null: last.")


class ContactDetail(Schema):
    id: int
    email: str
    name: str
    language: str
    organisation: OrganisationOut | None
    address: Postal


class ContactList(Schema):
    items: list[ContactDetail]


class PageQuery(In):
    after: int | None = LAST_ID
    limit: int = LIMIT


class ContactQuery(In):
    q: str = Field(min_length=2, max_length=200, description="The start of an address or a name.")


def _organisations(who: Caller) -> QuerySet[Organisation]:
    if who.contact is not None:
        return Organisation.objects.filter(pk=who.contact.organisation_id or 0)
    return Organisation.objects.all()


def _contacts(who: Caller) -> QuerySet[Contact]:
    found = Contact.objects.select_related("organisation")
    if who.contact is not None:
        mine = who.contact.organisation_id
        return found.filter(organisation_id=mine) if mine else found.filter(pk=who.contact.pk)
    return found


def _postal(row: Organisation | Contact) -> dict[str, str]:
    return {
        "address_line1": row.address_line1,
        "address_line2": row.address_line2,
        "postal_code": row.postal_code,
        "city": row.city,
        "country": row.country,
    }


def _contact(c: Contact) -> dict[str, Any]:
    org = c.organisation
    return {
        "id": c.pk,
        "email": c.email,
        "name": c.name,
        "language": c.language,
        "organisation": {"id": org.pk, "name": org.name} if org else None,
        "address": _postal(c),
    }


@router.get("/organisations", response={200: OrganisationPage, **COMMON}, summary="Organisations")
def list_organisations(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """By id, a page at a time (`after`: the last id of the page before)."""
    shown, after = by_id(_organisations(caller(request)), query.after, query.limit)
    return {"items": [{"id": o.pk, "name": o.name} for o in shown], "next_after": after}


@router.get(
    "/organisations/{id}", response={200: OrganisationDetail, **COMMON}, summary="Organisation"
)
def get_organisation(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    org = _organisations(caller(request)).filter(pk=id).first()
    if org is None:
        raise ApiProblem(404, "not_found", f"No organisation {id}.")
    return {
        "id": org.pk,
        "name": org.name,
        "address": _postal(org),
        "contacts": org.contacts.count(),
    }


@router.get("/contacts", response={200: ContactList, **COMMON}, summary="Find contacts")
def find_contacts(request: HttpRequest, query: Query[ContactQuery]) -> dict[str, Any]:
    """Contacts whose address or name starts with `q` (any case), an exact address first; at
    most 20, from the indexes, never a scan."""
    return {
        "items": [_contact(c) for c in matching_clients(query.q, among=_contacts(caller(request)))]
    }


@router.get("/contacts/{id}", response={200: ContactDetail, **COMMON}, summary="Contact")
def get_contact(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    found = _contacts(caller(request)).filter(pk=id).first()
    if found is None:
        raise ApiProblem(404, "not_found", f"No contact {id}.")
    return _contact(found)
