"""Tokens: shown once, hashed at rest, revocable, scoped, last use recorded, rate limited."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from deskside.accounts.access import WORKING_ROLES, changes_tickets
from deskside.accounts.roles import Role
from deskside.api import tokens
from deskside.api.models import ApiToken, Scope
from tests.api.conftest import Api, open_ticket
from tests.people import staff

pytestmark = pytest.mark.django_db


def test_desk_page_shows_a_new_token_once_and_stores_its_hash(client: Client, people) -> None:
    client.force_login(people.agent)
    created = client.post("/desk/api-tokens/", {"name": "ci", "scope": "write"})
    assert created.status_code == 201
    text = created.context["issued"].text
    assert text.startswith("dsk_") and text in created.content.decode()
    token = ApiToken.objects.get(name="ci")
    assert token.user == people.agent and token.scope == Scope.WRITE
    assert token.digest == hashlib.sha256(text.encode()).hexdigest()
    secret = text.split("_", 2)[2]  # the secret may hold "_" itself
    assert not ApiToken.objects.filter(digest__contains=secret).exists()
    listed = client.get("/desk/api-tokens/").content.decode()
    assert token.prefix in listed and text not in listed
    assert "no-cache" in created["Cache-Control"] or "no-store" in created["Cache-Control"]


def test_revoked_token_gets_401_problem(client: Client, people) -> None:
    issued = tokens.issue("ci", Scope.READ, user=people.agent)
    api = Api(issued.text)
    assert api.get("/tickets").status_code == 200
    client.force_login(people.agent)
    client.post(f"/desk/api-tokens/{issued.token.pk}/revoke")
    answer = api.get("/tickets")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "not_authenticated"


def test_someone_elses_token_cannot_be_revoked(client: Client, people) -> None:
    issued = tokens.issue("ci", Scope.READ, user=people.second_agent)
    client.force_login(people.agent)
    assert client.post(f"/desk/api-tokens/{issued.token.pk}/revoke").status_code == 404
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


@pytest.mark.parametrize("header", ["Bearer dsk_nope_nope", "Bearer garbage", "Basic x", ""])
def test_unknown_or_malformed_token_is_401(people, header: str) -> None:
    answer = Client().get("/api/v1/tickets", headers={"Authorization": header} if header else {})
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_a_tampered_secret_is_refused(people) -> None:
    text = tokens.issue("ci", Scope.READ, user=people.agent).text
    assert (
        Api(text[:-2] + ("AA" if not text.endswith("AA") else "BB")).get("/tickets").status_code
        == 401
    )


def test_read_scope_reads_but_cannot_write(people, reader_api: Api) -> None:
    ticket = open_ticket(people.client)
    assert reader_api.get(f"/tickets/{ticket.ref}").status_code == 200
    answer = reader_api.post(f"/tickets/{ticket.ref}/notes", {"text": "hi"})
    assert answer.status_code == 403
    assert answer.json()["code"] == "read_only"


def test_a_technician_write_token_still_only_reads(people) -> None:
    ticket = open_ticket(people.client)
    api = Api(tokens.issue("t", Scope.WRITE, user=people.technician).text)
    assert api.post(f"/tickets/{ticket.ref}/take").json()["code"] == "read_only"


@pytest.mark.parametrize("role", list(Role))
def test_who_changes_tickets_is_who_holds_the_permission(role: Role) -> None:
    """The desk and the API read "may change tickets" from the roles a request already has; it
    must say what the groups' permission says, for every role (roles.py keeps both)."""
    user = staff(f"u-{role.value}", role)
    assert user.has_perm("tickets.change_ticket") is (role in WORKING_ROLES)
    assert changes_tickets(User.objects.get(pk=user.pk)) is (role in WORKING_ROLES)
    found = tokens.find(tokens.issue("t", Scope.WRITE, user=user).text)
    assert found is not None and found.user is not None
    assert changes_tickets(found.user) is (role in WORKING_ROLES)


def test_a_token_is_read_with_its_user_and_roles_in_one_statement(people) -> None:
    """Each statement is a round trip on PostgreSQL: the token, its user and every one of the
    user's roles come back together, as a session's RolesBackend reads them."""
    user = staff("two-roles", Role.TECHNICIAN)
    user.groups.add(Group.objects.get(name=Role.AGENT.value))
    text = tokens.issue("t", Scope.WRITE, user=user).text
    with CaptureQueriesContext(connection) as captured:
        found = tokens.find(text)
    assert len(captured.captured_queries) == 1
    assert found is not None and found.user is not None and found.user.pk == user.pk
    assert found.user.get_username() == "two-roles" and found.user.is_active
    assert found.user.date_joined == User.objects.get(pk=user.pk).date_joined
    assert changes_tickets(found.user)  # the agent's role, beside the technician's
    technician = tokens.find(tokens.issue("t", Scope.WRITE, user=people.technician).text)
    assert technician is not None and technician.user is not None
    assert not changes_tickets(technician.user)


def test_a_contact_token_reads_the_contact_and_organisation(people) -> None:
    found = tokens.find(tokens.issue("acme", Scope.WRITE, contact=people.client).text)
    assert found is not None and found.user is None and found.contact is not None
    assert found.contact == people.client and found.contact.organisation == people.acme


def test_last_use_is_recorded(people) -> None:
    issued = tokens.issue("ci", Scope.READ, user=people.agent)
    assert issued.token.last_used_at is None
    Api(issued.text).get("/tickets")
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at is not None


def test_rate_limit_per_token_answers_429_problem(people, monkeypatch) -> None:
    monkeypatch.setattr(tokens, "RATE_PER_MINUTE", 3)
    api = Api(tokens.issue("ci", Scope.READ, user=people.agent).text)
    other = Api(tokens.issue("other", Scope.READ, user=people.agent).text)
    answers = [api.get("/tickets").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = api.get("/tickets")
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert other.get("/tickets").status_code == 200  # counted per token


def test_the_count_starts_again_each_minute(people, monkeypatch, time_machine) -> None:
    monkeypatch.setattr(tokens, "RATE_PER_MINUTE", 2)
    time_machine.move_to(datetime(2026, 11, 23, 9, 0, 58, tzinfo=UTC), tick=False)
    api = Api(tokens.issue("ci", Scope.READ, user=people.agent).text)
    assert [api.get("/tickets").status_code for _ in range(3)] == [200, 200, 429]
    time_machine.move_to(datetime(2026, 11, 23, 9, 1, 1, tzinfo=UTC), tick=False)
    assert [api.get("/tickets").status_code for _ in range(3)] == [200, 200, 429]


def test_a_role_taken_away_counts_at_the_next_request(people) -> None:
    api = Api(tokens.issue("ci", Scope.READ, user=people.agent).text)
    assert api.get("/tickets").status_code == 200
    people.agent.groups.clear()
    assert api.get("/tickets").status_code == 401


def test_session_auth_needs_csrf_for_changes(people) -> None:
    ticket = open_ticket(people.client)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.agent)
    assert browser.get(f"/api/v1/tickets/{ticket.ref}").status_code == 200
    refused = browser.post(f"/api/v1/tickets/{ticket.ref}/take", content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    browser.get("/desk/api-tokens/")  # the page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    taken = browser.post(
        f"/api/v1/tickets/{ticket.ref}/take",
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert taken.status_code == 200, taken.content
    assert taken.json()["assignee"] == people.agent.username


def test_a_client_without_staff_role_has_no_session_access(people) -> None:
    from deskside.portal.session import user_for

    browser = Client()
    browser.force_login(user_for(people.client))
    assert browser.get("/api/v1/tickets").status_code == 401


# The admin's form for a token carries the inline of its alert routing (none here).
NO_ROUTING = {"alert_routing-TOTAL_FORMS": "0", "alert_routing-INITIAL_FORMS": "0"}


def test_admin_creates_a_client_token_shown_once(client: Client, people) -> None:
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@ccs2.test", "pw")
    client.force_login(admin)
    answer = client.post(
        "/admin/api/apitoken/add/",
        {"name": "acme-sync", "scope": "read", "contact": people.client.pk, **NO_ROUTING},
        follow=True,
    )
    shown = [str(m) for m in answer.context["messages"]]
    assert any("dsk_" in m for m in shown), shown
    text = next(m for m in shown if "dsk_" in m).rsplit(" ", 1)[-1]
    token = ApiToken.objects.get(name="acme-sync")
    assert token.digest == hashlib.sha256(text.encode()).hexdigest()
    assert Api(text).get("/tickets").status_code == 200
