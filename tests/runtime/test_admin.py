"""The admin is usable by a support lead: every model is listed, tickets are read-only (all
changes go through the actions), and the protocol's data is editable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.urls import reverse

from deskside.tickets import actions
from deskside.tickets.actions import NewMessage
from deskside.tickets.models import Direction, MessageKind, SeverityLevel
from tests.people import make_people

pytestmark = pytest.mark.django_db

OUR_APPS = ("accounts", "tickets", "mail", "outbox", "runtime", "onsite", "docs")
INLINE_ONLY = {"ClosingDate"}  # edited on its calendar's page


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@ccs2.test", "pw")
    client.force_login(user)
    return client


def test_every_model_has_a_working_list_page(admin_client):
    people = make_people()
    actions.open_ticket(
        contact=people.client,
        subject="Sev 3 slow report",
        claimed_severity=3,
        received_at=people.acme.created_at,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="slow"),
    )
    models = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    registered = [m for m in models if m in admin_client_site_models()]
    assert {m.__name__ for m in models} - {m.__name__ for m in registered} == INLINE_ONLY
    for model in registered:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
            )
            assert admin_client.get(change).status_code == 200, change


def admin_client_site_models():
    from django.contrib import admin

    return set(admin.site._registry)


def test_tickets_cannot_be_added_or_edited_in_the_admin(admin_client):
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_event_add")).status_code == 403


def test_ticket_list_searches_and_filters(admin_client):
    people = make_people()
    actions.open_ticket(
        contact=people.client,
        subject="Sev 2 invoices missing",
        claimed_severity=2,
        received_at=people.acme.created_at,
        message=NewMessage(direction=Direction.INBOUND, kind=MessageKind.MAIL, text="where?"),
    )
    url = reverse("admin:tickets_ticket_changelist")
    assert "invoices missing" in admin_client.get(url, {"q": "invoices"}).content.decode()
    assert "invoices missing" not in admin_client.get(url, {"q": "payroll"}).content.decode()
    assert "invoices missing" in admin_client.get(url, {"severity": "2"}).content.decode()


def test_a_lead_edits_the_clock_targets(client):
    people = make_people()
    client.force_login(people.lead)
    url = reverse(
        "admin:tickets_severitylevel_change", args=[SeverityLevel.objects.get(level=3).pk]
    )
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    # What the page shows in each field: durations in business words, as a lead reads them
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data |= {
        "first_response": "4 h",
        "goal": "3 business days",
        "goal_milestones": ["solution"],
        "update_interval": "1 business day",
        "documentation": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    level = SeverityLevel.objects.get(level=3)
    assert (level.first_response, level.goal) == (timedelta(hours=4), timedelta(hours=24))


def test_an_agent_cannot_use_the_admin(client):
    people = make_people()
    client.force_login(people.agent)
    assert client.get(reverse("admin:index")).status_code == 302  # to the login page
