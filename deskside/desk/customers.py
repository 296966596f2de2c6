"""Customers in the desk: a contact's or an organisation's tickets, page by page, and the search
that finds them by the start of an address or a name.

Every list is one query over an index: a contact's and an organisation's tickets walk
Ticket's (contact, received_at) and (organisation, received_at) indexes from their newest end;
the search reads ranges of the folded name and address indexes (Contact.Meta.indexes,
Organisation.Meta.indexes), never a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from deskside.accounts.actions import ContactDetails
from deskside.accounts.models import Contact, Language, Organisation
from deskside.core.postal import Eligibility, check_address
from deskside.desk.queue import ROW_FIELDS, ROW_RELATED, Row, rows_for
from deskside.tickets.models import Ticket
from deskside.tickets.models.ticket import OPEN_STATUSES
from deskside.tickets.search import CLIENTS, search_prefix, starting_with

PAGE_SIZE = 25
CONTACTS_SHOWN = 200  # an organisation's contacts on its page; more are counted


@dataclass(frozen=True)
class TicketPage:
    """One page of a customer's open or past tickets, newest first, with the query strings of
    the pages before and after it ("" when there is none)."""

    rows: list[Row]
    number: int  # from 1
    previous: str = ""
    next: str = ""


def page_number(value: str | None) -> int:
    """A page number from the query string: anything but a positive number is the first page."""
    return int(value) if value and value.isdecimal() and 0 < int(value) < 100_000 else 1


def tickets_page(
    owner: dict[str, Any], *, open_ones: bool, pages: dict[str, int], now: datetime
) -> TicketPage:
    """A page of the open (or the resolved and closed) tickets of `owner` (`{"contact": c}` or
    `{"organisation": o}`), by arrival, newest first; `pages` holds the page numbers of both
    lists, "open" and "past". One query: a row more than a page tells whether another page
    follows, and nothing is counted."""
    key = "open" if open_ones else "past"
    number = pages[key]
    tickets = Ticket.objects.filter(**owner)
    tickets = (
        tickets.filter(status__in=OPEN_STATUSES)
        if open_ones
        else tickets.exclude(status__in=OPEN_STATUSES)
    )
    start = (number - 1) * PAGE_SIZE
    chosen = tickets.order_by("-received_at", "-id")
    found = list(
        chosen.select_related(*ROW_RELATED).only(*ROW_FIELDS)[start : start + PAGE_SIZE + 1]
    )

    def query(to: int) -> str:
        return "?" + urlencode({**pages, key: to})

    return TicketPage(
        rows_for(found[:PAGE_SIZE], now),
        number,
        previous=query(number - 1) if number > 1 else "",
        next=query(number + 1) if len(found) > PAGE_SIZE else "",
    )


def on_site(customer: Contact | Organisation) -> Eligibility:
    """Whether an on-site visit may be requested for this customer's tickets: by a contact's own
    postal address, else their organisation's (as deskside.onsite decides)."""
    address = customer.postal_address() if isinstance(customer, Contact) else customer
    return check_address(address.country, address.postal_code)


def organisation_contacts(organisation: Organisation) -> tuple[list[Contact], int]:
    """The organisation's contacts by name (the first CONTACTS_SHOWN), and how many more."""
    found = list(
        organisation.contacts.order_by("name", "email", "id")[: CONTACTS_SHOWN + 1].only(
            "email", "name", "language", "mail_failing_since", "organisation_id"
        )
    )
    more = organisation.contacts.count() - CONTACTS_SHOWN if len(found) > CONTACTS_SHOWN else 0
    return found[:CONTACTS_SHOWN], more


def matching_organisations(query: str, limit: int = CLIENTS) -> list[Organisation]:
    """Organisations whose name starts with `query`, in any case: one range of the index on
    the folded name."""
    text = search_prefix(query)
    if text is None:
        return []
    return list(starting_with(Organisation.objects.all(), "name", text)[:limit])


class ContactForm(forms.Form):
    """The details an agent corrects on a contact (deskside.accounts.actions.ContactDetails)."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address (continued)"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country"),
        max_length=60,  # longer than a code, so that "Belgium" gets the sentence below
        required=False,
        help_text=_("Two-letter ISO 3166 code, e.g. BE. On-site visits are for Belgium only."),
    )

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise forms.ValidationError(_("Give the two-letter ISO 3166 code, e.g. BE."))
        return country

    def details(self) -> ContactDetails:
        data = self.cleaned_data
        return ContactDetails(**{name: str(data[name]).strip() for name in self.fields})

    @classmethod
    def of(cls, contact: Contact, data: Any = None) -> ContactForm:
        initial = ContactDetails.of(contact).__dict__
        return cls(data, initial=initial, auto_id="contact-%s")
