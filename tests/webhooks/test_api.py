"""/api/v1/webhooks: staff with a write token manage their endpoints (a lead everyone's); a
client token or a read token may not; another's endpoint is a 404, as one that does not exist."""

from __future__ import annotations

from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from deskside.api import tokens
from deskside.api.models import Scope
from deskside.webhooks.models import Delivery, Endpoint, Kind
from deskside.webhooks.send import deliver_due
from tests.api.conftest import Api, open_ticket
from tests.people import People
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

NEW = {"url": "https://crm.example/hooks", "kinds": ["ticket.created"], "description": "CRM"}


def api_of(people: People, who: str, scope: Scope = Scope.WRITE) -> Api:
    if who == "client":
        return Api(tokens.issue("t", scope, contact=people.client).text)
    return Api(tokens.issue("t", scope, user=getattr(people, who)).text)


def patch(api: Api, path: str, body: dict[str, Any]) -> Any:
    return api.client.patch(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


def delete(api: Api, path: str) -> Any:
    return api.client.delete(f"/api/v1{path}", headers=api.headers)


def test_an_agent_adds_an_endpoint_and_sees_its_secret_once(people: People) -> None:
    agent = api_of(people, "agent")

    made = agent.post("/webhooks", NEW)

    assert made.status_code == 201, made.content
    body = made.json()
    assert body["secret"].startswith("whsec_") and body["kinds"] == ["ticket.created"]
    assert body["owner"] == "alice" and body["paused_at"] is None
    Webhook(body["secret"])  # the reference library reads it as a secret
    listed = agent.get("/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in agent.get(f"/webhooks/{body['id']}").json()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({**NEW, "url": "ftp://crm.example/"}, "http or https"),
        ({**NEW, "url": "https://user:pw@crm.example/"}, "password"),
        ({**NEW, "url": "https://crm.example:99999/hooks"}, "port"),  # stopped the worker
        ({**NEW, "url": "https://crm.example/\u0000"}, "NUL"),
        ({**NEW, "kinds": ["ticket.deleted"]}, "kinds"),
        ({**NEW, "kinds": []}, "kinds"),
    ],
)
def test_a_bad_url_or_kind_is_a_422_problem(
    people: People, body: dict[str, Any], where: str
) -> None:
    answer = api_of(people, "agent").post("/webhooks", body)
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert where in answer.content.decode()
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    ("who", "scope", "code"),
    [
        ("client", Scope.WRITE, "staff_only"),
        ("client", Scope.READ, "read_only"),
        ("agent", Scope.READ, "read_only"),
        ("technician", Scope.WRITE, "read_only"),
    ],
)
def test_who_may_not_manage_webhooks_is_refused_before_anything_is_read(
    people: People, who: str, scope: Scope, code: str
) -> None:
    theirs = api_of(people, "lead").post("/webhooks", NEW).json()
    api = api_of(people, who, scope)
    for answer in (
        api.get("/webhooks"),
        api.post("/webhooks", NEW),
        api.get(f"/webhooks/{theirs['id']}"),
        api.get(f"/webhooks/{theirs['id'] + 1000}"),  # the same answer: nothing learnt
        delete(api, f"/webhooks/{theirs['id']}"),
    ):
        assert answer.status_code == 403 and answer.json()["code"] == code
    assert Endpoint.objects.count() == 1


def test_another_agents_endpoint_is_a_404_and_a_lead_sees_it(people: People) -> None:
    bobs = api_of(people, "second_agent").post("/webhooks", NEW).json()
    alice = api_of(people, "agent")

    assert alice.get("/webhooks").json() == []
    for answer in (
        alice.get(f"/webhooks/{bobs['id']}"),
        patch(alice, f"/webhooks/{bobs['id']}", {"enabled": False}),
        delete(alice, f"/webhooks/{bobs['id']}"),
        alice.post(f"/webhooks/{bobs['id']}/secret"),
        alice.get(f"/webhooks/{bobs['id']}/deliveries"),
    ):
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert Endpoint.objects.get().enabled

    lead = api_of(people, "lead")
    assert [e["id"] for e in lead.get("/webhooks").json()] == [bobs["id"]]
    assert patch(lead, f"/webhooks/{bobs['id']}", {"enabled": False}).json()["enabled"] is False


def test_change_kinds_then_delete(people: People) -> None:
    agent = api_of(people, "agent")
    made = agent.post("/webhooks", NEW).json()

    changed = patch(agent, f"/webhooks/{made['id']}", {"kinds": ["ticket.closed", "mail.held"]})

    assert changed.status_code == 200 and changed.json()["kinds"] == ["mail.held", "ticket.closed"]
    assert delete(agent, f"/webhooks/{made['id']}").status_code == 204
    assert agent.get(f"/webhooks/{made['id']}").status_code == 404


def test_the_delivery_log_send_again_and_resume_through_the_api(
    people: People, receiver: Receiver
) -> None:
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    lead = api_of(people, "lead")
    receiver.status = 503
    open_ticket(people.client)
    deliver_due()

    page = lead.get(f"/webhooks/{endpoint.pk}/deliveries").json()
    (delivery,) = page["items"]
    assert delivery["status"] == "queued" and delivery["attempts"] == 1
    (attempt,) = delivery["log"]
    assert attempt["status_code"] == 503 and "503" in attempt["error"]
    assert attempt["response"] == '{"ok": false}' and attempt["duration_ms"] >= 0

    receiver.status = 200
    again = lead.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery['id']}/send-again")
    assert again.status_code == 202 and again.json() == {"queued": 1}
    deliver_due()
    assert [r.webhook_id for r in receiver.accepted()] == [delivery["webhook_id"]]
    assert Delivery.objects.get().status == "delivered"

    other = api_of(people, "agent")
    assert (
        other.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery['id']}/send-again").status_code
        == 404
    )

    Endpoint.objects.filter(pk=endpoint.pk).update(paused_at=Delivery.objects.get().created_at)
    resumed = patch(lead, f"/webhooks/{endpoint.pk}", {"paused": False})
    assert resumed.status_code == 200 and resumed.json()["paused_at"] is None
    assert patch(lead, f"/webhooks/{endpoint.pk}", {"paused": True}).status_code == 422
