"""Customers in the desk: a page per contact and per organisation, the contact's edit form (agents
and leads; technicians read), and the search by address and name."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from deskside.accounts.actions import ContactDetails, edit_contact
from deskside.accounts.models import Contact, Organisation
from deskside.desk import customers
from deskside.portal.session import user_for
from deskside.tickets import actions
from deskside.tickets.actions import Actor
from deskside.tickets.models import CloseReason, Ticket
from tests.desk.conftest import BRUSSELS, MONDAY_10, open_ticket, refs_in
from tests.people import People

pytestmark = pytest.mark.django_db

# Signing in, the navigation's counts, the customer, two pages of tickets, the calendar and
# clock targets (read once per process, then cached), the messages framework: bounded, whatever
# the number of tickets.
PAGE_QUERIES = 12


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def contact_url(contact: Contact) -> str:
    return reverse("desk:contact", args=[contact.pk])


def organisation_url(organisation: Organisation) -> str:
    return reverse("desk:organisation", args=[organisation.pk])


def edit_url(contact: Contact) -> str:
    return reverse("desk:contact_edit", args=[contact.pk])


def closed_ticket(people: People, subject: str, *, at: datetime = MONDAY_10) -> Ticket:
    ticket = open_ticket(people, 3, f"[Sev 3] {subject}", received_at=at)
    return actions.close(ticket, CloseReason.WITHDRAWN, by=Actor.staff(people.agent))


def details(contact: Contact, **changes: str) -> dict[str, str]:
    """The edit form's fields as the contact has them, with `changes`."""
    return {**ContactDetails.of(contact).__dict__, **changes}


# -- the contact's page ----------------------------------------------------------------------


def test_contact_page_lists_open_and_past_tickets_newest_first(agent, people):
    older = open_ticket(people, 2, "[Sev 2] Older", received_at=MONDAY_10 - timedelta(hours=2))
    newer = open_ticket(people, 3, "[Sev 3] Newer", received_at=MONDAY_10 - timedelta(hours=1))
    past = closed_ticket(people, "Withdrawn question", at=MONDAY_10 - timedelta(days=3))
    open_ticket(people, 2, "[Sev 2] Jan's own", contact=people.colleague)

    html = agent.get(contact_url(people.client)).content.decode()

    open_part, past_part = html.split('id="past-title"')
    assert refs_in(open_part) == [newer.ref, older.ref]
    assert refs_in(past_part) == [past.ref]
    assert "Claire Peeters" in html and "Claire@Acme.example" in html
    assert "Nederlands" in html
    assert f'href="{organisation_url(people.acme)}"' in html


def test_contact_page_says_on_site_visits_are_allowed_in_belgium_only(agent, people):
    html = agent.get(contact_url(people.client)).content.decode()
    assert "Postal address (the organisation's)" in html  # Claire has none of her own
    assert "Meir 1" in html and "2000 Antwerpen" in html
    assert "Allowed (Belgium, Antwerp)" in html

    html = agent.get(contact_url(people.other_client)).content.decode()
    assert "Not allowed: on-site visits are for clients in Belgium only." in html


def test_a_contact_without_any_address_has_no_visit(agent, people):
    solo = Contact.objects.create(email="solo@elsewhere.example", language="fr")

    html = agent.get(contact_url(solo)).content.decode()

    assert "<h1>solo@elsewhere.example</h1>" in html
    assert "none on file" in html
    assert "(the organisation" not in html
    assert "Not allowed: no country and postal code on file." in html
    assert "No open tickets." in html and "No past tickets." in html


def test_contact_page_marks_failing_mail_in_the_readers_language(client, people):
    Contact.objects.filter(pk=people.client.pk).update(
        mail_failing_since=datetime(2026, 12, 2, 10, 0, tzinfo=BRUSSELS)
    )
    client.force_login(people.agent)

    english = client.get(contact_url(people.client)).content.decode()
    german = client.get(contact_url(people.client), HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Mail to Claire@Acme.example bounces" in english
    assert "since 2 December 2026, 10:00" in english
    assert "2. Dezember 2026, 10:00" in german
    assert "Kunden" in german  # the navigation's "Customers"


def test_a_customers_tickets_come_in_pages(agent, people, monkeypatch):
    monkeypatch.setattr(customers, "PAGE_SIZE", 2)
    made = [
        open_ticket(people, 3, f"[Sev 3] Ticket {i}", received_at=MONDAY_10 - timedelta(hours=i))
        for i in range(5)
    ]

    first = agent.get(contact_url(people.client)).content.decode()
    second = agent.get(contact_url(people.client), {"open": "2"}).content.decode()
    last = agent.get(contact_url(people.client), {"open": "3"}).content.decode()

    assert refs_in(first) == [made[0].ref, made[1].ref]
    assert 'href="?open=2&amp;past=1" rel="next">Older' in first
    assert refs_in(second) == [made[2].ref, made[3].ref]
    assert 'href="?open=1&amp;past=1" rel="prev">Newer' in second
    assert refs_in(last) == [made[4].ref]
    assert 'rel="next"' not in last
    assert agent.get(contact_url(people.client), {"open": "x"}).status_code == 200  # page 1


def test_contact_page_costs_the_same_for_many_tickets(agent, people, django_assert_max_num_queries):
    for i in range(30):
        open_ticket(people, 3, f"[Sev 3] Ticket {i}")
    for i in range(30):
        closed_ticket(people, f"Old {i}")
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = agent.get(contact_url(people.client))
    assert len(refs_in(response.content.decode())) == 2 * customers.PAGE_SIZE


def test_an_unknown_contact_or_organisation_is_not_found(agent):
    assert agent.get(reverse("desk:contact", args=[999999])).status_code == 404
    assert agent.get(reverse("desk:organisation", args=[999999])).status_code == 404


# -- the organisation's page -----------------------------------------------------------------


def test_organisation_page_lists_its_contacts_and_tickets(
    agent, people, django_assert_max_num_queries
):
    claires = open_ticket(people, 2, "[Sev 2] Claire's")
    jans = open_ticket(people, 3, "[Sev 3] Jan's", contact=people.colleague)
    open_ticket(people, 2, "[Sev 2] Globex's", contact=people.other_client)
    Contact.objects.filter(pk=people.colleague.pk).update(mail_failing_since=MONDAY_10)

    with django_assert_max_num_queries(PAGE_QUERIES):
        html = agent.get(organisation_url(people.acme)).content.decode()

    assert refs_in(html) == [jans.ref, claires.ref]
    assert f'href="{contact_url(people.client)}">Claire Peeters</a>' in html
    assert f'href="{contact_url(people.colleague)}">Jan Janssens</a>' in html
    assert "mail bounces" in html  # Jan's
    assert "Allowed (Belgium, Antwerp)" in html
    assert "Olivier" not in html


# -- links to the pages ----------------------------------------------------------------------


def test_the_ticket_page_and_the_queue_link_to_the_customer(agent, people):
    ticket = open_ticket(people, 2)

    page = agent.get(reverse("desk:ticket", args=[ticket.ref])).content.decode()
    queue = agent.get(reverse("desk:queue")).content.decode()

    assert f'<a href="{contact_url(people.client)}">Claire Peeters</a>' in page
    assert f'<a href="{organisation_url(people.acme)}">Acme Antwerp</a>' in page
    assert f'href="{organisation_url(people.acme)}">Acme Antwerp</a>' in queue
    assert f'<a href="{reverse("desk:customers")}">Customers</a>' in queue


# -- who may see and edit --------------------------------------------------------------------


def test_technicians_read_customers_but_do_not_edit_them(client, people):
    client.force_login(people.technician)

    page = client.get(contact_url(people.client))

    assert page.status_code == 200
    assert edit_url(people.client) not in page.content.decode()
    assert client.get(edit_url(people.client)).status_code == 403
    posted = client.post(edit_url(people.client), details(people.client, language="de"))
    assert posted.status_code == 403
    people.client.refresh_from_db()
    assert people.client.language == "nl"


def test_clients_and_strangers_never_see_customer_pages(client, people):
    client.force_login(user_for(people.client))  # a client signed in to the portal
    for url in (reverse("desk:customers"), contact_url(people.client), edit_url(people.client)):
        assert client.get(url).status_code == 404
    client.logout()
    response = Client().get(contact_url(people.client))
    assert response.status_code == 302 and "/desk/login/" in response["Location"]


def test_the_action_refuses_a_technician(people):
    with pytest.raises(PermissionDenied):
        edit_contact(
            people.client,
            ContactDetails(**details(people.client, language="de")),
            by=people.technician,
        )


# -- editing ---------------------------------------------------------------------------------


def test_an_agent_edits_the_contact_and_the_change_is_recorded(agent, people):
    form = agent.get(edit_url(people.client)).content.decode()
    assert 'value="Claire Peeters"' in form

    response = agent.post(
        edit_url(people.client),
        details(
            people.client,
            language="de",
            address_line1="Rue Neuve 5",
            postal_code="1000",
            city="Bruxelles",
            country="be",
        ),
    )

    assert response.status_code == 302 and response["Location"] == contact_url(people.client)
    people.client.refresh_from_db()
    assert (people.client.language, people.client.country) == ("de", "BE")
    page = agent.get(contact_url(people.client)).content.decode()
    assert "The contact&#x27;s details are saved." in page
    assert "Deutsch" in page and "Rue Neuve 5" in page
    assert "Allowed (Belgium, Brussels)" in page
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id, entry.action_flag) == (
        people.agent,
        str(people.client.pk),
        CHANGE,
    )
    assert entry.get_change_message() == (
        "Changed Language, Address, Postal code, City and Country."
    )
    lead = Client()
    lead.force_login(people.lead)  # the lead reads it in the admin, under the contact's History
    history = lead.get(f"/admin/accounts/contact/{people.client.pk}/history/").content.decode()
    assert "Changed Language, Address, Postal code, City and Country." in history
    assert "alice" in history


def test_a_lead_edits_too_and_an_unchanged_form_records_nothing(client, people):
    client.force_login(people.lead)
    response = client.post(edit_url(people.client), details(people.client))
    assert response.status_code == 302
    assert not LogEntry.objects.exists()


def test_a_wrong_country_or_language_is_said_and_nothing_is_saved(agent, people):
    response = agent.post(edit_url(people.client), details(people.client, country="Belgium"))
    assert response.status_code == 422
    assert "Give the two-letter ISO 3166 code, e.g. BE." in response.content.decode()
    response = agent.post(edit_url(people.client), details(people.client, language="xx"))
    assert response.status_code == 422
    people.client.refresh_from_db()
    assert (people.client.country, people.client.language) == ("", "nl")
    assert not LogEntry.objects.exists()


# -- search ----------------------------------------------------------------------------------


def search(agent: Client, query: str) -> str:
    return agent.get(reverse("desk:customers"), {"q": query}).content.decode()


def test_search_finds_a_contact_by_part_of_the_address_in_any_case(
    agent, people, django_assert_max_num_queries
):
    with django_assert_max_num_queries(PAGE_QUERIES):
        html = search(agent, "CLAIRE@acme")
    assert f'href="{contact_url(people.client)}">Claire Peeters</a>' in html
    assert "Jan Janssens" not in html
    assert f'href="{organisation_url(people.acme)}">Acme Antwerp</a>' in html  # her organisation


def test_search_finds_contacts_and_organisations_by_name(agent, people):
    html = search(agent, "jan jans")
    assert f'href="{contact_url(people.colleague)}">Jan Janssens</a>' in html

    html = search(agent, "globex")
    assert f'href="{organisation_url(people.other_org)}">Globex Lyon</a>' in html
    assert "Olivier" not in html  # organisations by name; their contacts are on their page


def test_search_says_when_nothing_matches(agent, people):
    html = search(agent, "zz-nobody")
    assert "No contact or organisation starts with “zz-nobody”." in html
    assert search(agent, "a\x00b").startswith("<!doctype html>")  # PostgreSQL refuses NUL


def test_organisation_search_reads_its_index(people):
    Organisation.objects.create(name="acme Brussels")
    Organisation.objects.create(name="Acmeology")
    Organisation.objects.create(name="Bacme")
    found = [o.name for o in customers.matching_organisations("ACME")]
    assert found == ["Acme Antwerp", "acme Brussels", "Acmeology"]
    assert customers.matching_organisations("a") == []  # too short to mean a name
