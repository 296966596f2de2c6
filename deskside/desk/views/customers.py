"""Customers: find a contact or an organisation by the start of an address or a name; a page
per contact and per organisation (their open and past tickets, language, address, on-site
eligibility, bouncing mail; an organisation's contacts); and the contact's edit form, for
agents and leads (technicians read; clients have the portal)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from deskside.accounts.access import staff_required
from deskside.accounts.actions import edit_contact, may_edit_contact
from deskside.accounts.models import Contact, Organisation
from deskside.desk.customers import (
    ContactForm,
    matching_organisations,
    on_site,
    organisation_contacts,
    page_number,
    tickets_page,
)
from deskside.tickets.search import CLIENTS, matching_clients


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@staff_required
def customers(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]  # PostgreSQL refuses NUL
    contacts = matching_clients(query) if query else []
    prefetch_related_objects(contacts, "organisation")  # one query for all their organisations
    organisations = matching_organisations(query) if query else []
    return render(
        request,
        "desk/customers.html",
        {
            "customer_query": query,
            "contacts": contacts,
            "organisations": organisations,
            "more": CLIENTS in (len(contacts), len(organisations)),
        },
    )


@staff_required
def contact_page(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=pk)
    return render(
        request,
        "desk/contact.html",
        {
            "contact": contact,
            "on_site": on_site(contact),
            "may_edit": may_edit_contact(_staff(request)),
            **_tickets(request, {"contact": contact}),
        },
    )


@staff_required
def organisation_page(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    contacts, more = organisation_contacts(organisation)
    return render(
        request,
        "desk/organisation.html",
        {
            "organisation": organisation,
            "contacts": contacts,
            "more_contacts": more,
            "on_site": on_site(organisation),
            **_tickets(request, {"organisation": organisation}),
        },
    )


def _tickets(request: HttpRequest, owner: dict[str, Contact | Organisation]) -> dict[str, object]:
    now = timezone.now()
    pages = {key: page_number(request.GET.get(key)) for key in ("open", "past")}
    return {
        "open_tickets": tickets_page(owner, open_ones=True, pages=pages, now=now),
        "past_tickets": tickets_page(owner, open_ones=False, pages=pages, now=now),
    }


@staff_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    if not may_edit_contact(user):
        raise PermissionDenied("technicians read contacts; agents and leads edit them")
    contact = get_object_or_404(Contact.objects.select_related("organisation"), pk=pk)
    form = ContactForm.of(contact, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        edit_contact(contact, form.details(), by=user)
        messages.success(request, _("The contact's details are saved."))
        return redirect("desk:contact", pk=contact.pk)
    status = 422 if form.is_bound else 200  # as every refused form of the desk
    return render(
        request, "desk/contact_edit.html", {"contact": contact, "form": form}, status=status
    )
