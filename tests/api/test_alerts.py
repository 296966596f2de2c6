"""Monitoring alerts → tickets (issue 17): Alertmanager's and Grafana's webhooks, as they send
them, open one ticket per alert at the level its labels map to, and its repeats and its
resolution land on that ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from deskside.api import tokens
from deskside.api.models import AlertRouting, Scope
from deskside.outbox.models import OutboundMail
from deskside.tickets import actions, policy
from deskside.tickets.actions import Actor
from deskside.tickets.duty import DUTY_GROUP
from deskside.tickets.models import (
    CloseReason,
    Direction,
    Door,
    EventKind,
    MessageKind,
    Status,
    Ticket,
)
from tests.api.conftest import Api
from tests.people import People

pytestmark = pytest.mark.django_db

STARTS = "2026-12-04T09:58:30.123456789Z"
LABELS = {"alertname": "ApiDown", "severity": "critical", "job": "shop", "instance": "web-1:443"}
ANNOTATIONS = {"summary": "The shop's API answers nothing", "description": "No scrape for 5m."}
GRAPH = "http://prometheus.acme.example/graph?g0.expr=up%3D%3D0"


def alert(status: str = "firing", **changes: Any) -> dict[str, Any]:
    one = {
        "status": status,
        "labels": LABELS,
        "annotations": ANNOTATIONS,
        "startsAt": STARTS,
        "endsAt": "2026-12-04T10:20:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": GRAPH,
        "fingerprint": "a3c5e6f7b8d90123",
    }
    return {**one, **changes}


def payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    """Alertmanager's webhook body (version 4), as its webhook_config sends it."""
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ApiDown"}',
        "truncatedAlerts": 0,
        "status": alerts[0]["status"],
        "receiver": "deskside",
        "groupLabels": {"alertname": "ApiDown"},
        "commonLabels": LABELS,
        "commonAnnotations": ANNOTATIONS,
        "externalURL": "http://alertmanager.acme.example:9093",
        "alerts": list(alerts),
    }


@pytest.fixture(autouse=True)
def _fresh_policy():
    policy.clear()  # who is on duty is cached


@pytest.fixture
def receiver(people: People) -> Api:
    return Api(tokens.issue("alertmanager", Scope.WRITE, contact=people.client).text)


def post(api: Api, body: dict[str, Any], door: str = "alertmanager") -> list[dict[str, Any]]:
    answer = api.post(f"/alerts/{door}", body)
    assert answer.status_code == 200, answer.content
    alerts: list[dict[str, Any]] = answer.json()["alerts"]
    return alerts


def outcomes(api: Api, body: dict[str, Any], door: str = "alertmanager") -> list[str]:
    return [a["outcome"] for a in post(api, body, door)]


def the_ticket() -> Ticket:
    [ticket] = Ticket.objects.all()
    return ticket


def test_firing_repeated_resolved_ends_as_one_level_1_ticket_with_notes(people, receiver):
    people.second_agent.groups.add(Group.objects.get(name=DUTY_GROUP))
    [opened] = post(receiver, payload(alert()))
    ticket = the_ticket()
    assert opened == {
        "fingerprint": "a3c5e6f7b8d90123",
        "status": "firing",
        "outcome": "opened",
        "ticket": ticket.ref,
    }
    assert (ticket.severity, ticket.status) == (1, Status.NEW)
    assert ticket.organisation == people.acme and ticket.contact == people.client
    assert ticket.door == Door.API  # the lead's load by door counts it there
    assert ticket.subject == "ApiDown: The shop's API answers nothing"
    [first] = ticket.messages.all()
    assert (first.direction, first.kind) == (Direction.INBOUND, MessageKind.WEB)
    for line in ("firing since 2026-12-04 09:58:30 UTC", "  severity=critical", GRAPH):
        assert line in first.text
    assert "description: No scrape for 5m." in first.text
    created = ticket.events.get(kind=EventKind.CREATED)
    assert created.data["note"] == (
        "opened by an Alertmanager alert through the API (severity=critical → level 1)"
    )

    # Escalated to the duty group, as a level-1 mail is; the client is mailed nothing.
    [escalation] = OutboundMail.objects.filter(purpose="escalation")
    assert escalation.to == ["bob@ccs2.test"]
    assert ticket.events.get(kind=EventKind.ESCALATED).data["to"] == DUTY_GROUP
    assert not OutboundMail.objects.exclude(purpose="escalation").exists()

    # Alertmanager's retry, and its repeats within the hour: nothing new.
    assert outcomes(receiver, payload(alert())) == ["unchanged"]
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        assert outcomes(receiver, payload(alert())) == ["unchanged"]
    # Past the hour, one note that it still fires; then quiet again for an hour.
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        assert outcomes(receiver, payload(alert())) == ["still_firing"]
        assert outcomes(receiver, payload(alert())) == ["unchanged"]

    assert outcomes(receiver, payload(alert("resolved"))) == ["resolved"]
    assert outcomes(receiver, payload(alert("resolved"))) == ["unchanged"]
    # A late retry of the firing payload does not undo the resolution.
    assert outcomes(receiver, payload(alert())) == ["unchanged"]

    ticket = the_ticket()
    notes = list(ticket.messages.filter(kind=MessageKind.NOTE).order_by("id"))
    assert [n.direction for n in notes] == [Direction.INTERNAL] * 2
    assert notes[0].text.startswith("Alertmanager: still firing (since 2026-12-04 09:58:30 UTC)")
    assert notes[1].text == (
        "Alertmanager: resolved at 2026-12-04 10:20:00 UTC (firing since 2026-12-04 09:58:30 UTC)."
    )
    assert ticket.messages.count() == 3
    assert OutboundMail.objects.filter(purpose="escalation").count() == 1


def test_firing_again_after_resolving_is_the_clients_message_on_the_same_ticket(people, receiver):
    post(receiver, payload(alert()))
    ticket = the_ticket()
    actions.assign(ticket, people.agent, by=Actor.staff(people.agent))
    post(receiver, payload(alert("resolved")))
    again = alert(startsAt="2026-12-04T11:00:00Z")
    assert outcomes(receiver, payload(again)) == ["firing_again"]
    ticket = the_ticket()
    last = ticket.messages.order_by("id").last()
    assert last is not None and last.direction == Direction.INBOUND
    assert last.text.startswith("Alertmanager: firing again since 2026-12-04 11:00:00 UTC")
    assert people.agent.notifications.filter(ticket=ticket).exists()  # the assignee is told


def test_a_closed_tickets_alert_stays_quiet_until_it_fires_anew(people, receiver):
    post(receiver, payload(alert()))
    ticket = the_ticket()
    actions.close(ticket, CloseReason.DUPLICATE, by=Actor.staff(people.agent))
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        assert outcomes(receiver, payload(alert())) == ["unchanged"]
    [reopened] = post(receiver, payload(alert(startsAt="2026-12-04T12:00:00Z")))
    assert reopened["outcome"] == "opened" and reopened["ticket"] != ticket.ref
    assert Ticket.objects.count() == 2


def test_one_payload_with_many_alerts_and_the_default_levels(people, receiver):
    warning = alert(labels={"alertname": "DiskFilling", "severity": "Warning"}, fingerprint="b1")
    info = alert(labels={"alertname": "Backup late", "severity": "info"}, fingerprint="c1")
    warning["annotations"] = info["annotations"] = {}
    bare = alert(labels={"alertname": "NoLabel"}, fingerprint="", annotations={})
    done = post(receiver, payload(alert(), warning, info, bare))
    assert [d["outcome"] for d in done] == ["opened"] * 4
    levels = {t.subject: t.severity for t in Ticket.objects.all()}
    assert levels == {
        "ApiDown: The shop's API answers nothing": 1,
        "DiskFilling": 3,
        "Backup late": 3,
        "NoLabel": 3,
    }
    assert len(done[3]["fingerprint"]) == 16  # made from the labels when none is given
    bare_again = post(receiver, payload(bare))
    assert bare_again[0]["outcome"] == "unchanged"


def test_the_mapping_is_per_receiver_token(people, receiver):
    pager = tokens.issue("pager", Scope.WRITE, contact=people.colleague)
    AlertRouting.objects.create(
        token=pager.token, label="priority", levels={"P1": 1, "P2": 2}, default_level=4
    )
    p2 = alert(labels={"alertname": "Slow", "priority": "p2", "severity": "critical"})
    [done] = post(Api(pager.text), payload(p2))
    ticket = the_ticket()
    assert done["ticket"] == ticket.ref
    assert ticket.severity == 2 and ticket.contact == people.colleague
    created = ticket.events.get(kind=EventKind.CREATED).data["note"]
    assert created.endswith("(priority=p2 → level 2)")
    other = alert(labels={"alertname": "Odd", "priority": "p9"}, fingerprint="d1")
    post(Api(pager.text), payload(other))
    assert Ticket.objects.get(subject__startswith="Odd").severity == 4

    # The same alert from the organisation's other receiver goes to the same ticket.
    assert outcomes(receiver, payload(p2)) == ["unchanged"]


def test_the_routing_is_validated():
    bad = AlertRouting(label="severity", levels={"critical": 5}, default_level=1)
    with pytest.raises(ValidationError, match="must be 1, 2, 3 or 4"):
        bad.clean_fields(exclude=["token"])
    with pytest.raises(ValidationError):
        AlertRouting(levels=["critical"], default_level=0).clean_fields(exclude=["token"])


def test_grafana_contact_point(people, receiver):
    grafana = {
        "receiver": "deskside",
        "status": "firing",
        "orgId": 1,
        "alerts": [
            {
                **alert(fingerprint="e9b1c2"),
                "values": {"B": 0, "C": 1},
                "valueString": "[ var='B' labels={instance=web-1} value=0 ]",
                "silenceURL": "https://grafana.acme.example/alerting/silence/new",
                "dashboardURL": "https://grafana.acme.example/d/shop",
                "panelURL": "https://grafana.acme.example/d/shop?viewPanel=2",
                "imageURL": "",
            }
        ],
        "groupLabels": {"alertname": "ApiDown"},
        "commonLabels": LABELS,
        "commonAnnotations": ANNOTATIONS,
        "externalURL": "https://grafana.acme.example/",
        "version": "1",
        "groupKey": '{}:{alertname="ApiDown"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1] ApiDown (shop)",
        "state": "alerting",
        "message": "**Firing**",
    }
    assert outcomes(receiver, grafana, "grafana") == ["opened"]
    text = the_ticket().messages.get().text
    assert text.startswith("Grafana: firing since 2026-12-04 09:58:30 UTC")
    assert "Dashboard: https://grafana.acme.example/d/shop\n" in text
    assert "values: [ var='B' labels={instance=web-1} value=0 ]" in text
    assert outcomes(receiver, grafana, "grafana") == ["unchanged"]


def test_another_organisations_token_sees_nothing_of_its_alerts(people, receiver):
    [acme] = post(receiver, payload(alert()))
    globex = Api(tokens.issue("globex", Scope.WRITE, contact=people.other_client).text)
    [theirs] = post(globex, payload(alert()))  # the same labels, the same fingerprint
    assert theirs["outcome"] == "opened" and theirs["ticket"] != acme["ticket"]
    assert globex.get(f"/tickets/{acme['ticket']}").status_code == 404
    listed = [t["ref"] for t in globex.get("/tickets").json()["items"]]
    assert listed == [theirs["ticket"]]
    [resolved] = post(globex, payload(alert("resolved")))
    assert resolved["ticket"] == theirs["ticket"]
    acme_ticket = Ticket.objects.get(organisation=people.acme)
    assert not acme_ticket.messages.filter(kind=MessageKind.NOTE).exists()


def test_only_a_client_token_that_writes_receives(people, agent_api):
    answer = agent_api.post("/alerts/alertmanager", payload(alert()))
    assert answer.status_code == 403 and answer.json()["code"] == "client_token_only"
    reader = Api(tokens.issue("ro", Scope.READ, contact=people.client).text)
    answer = reader.post("/alerts/alertmanager", payload(alert()))
    assert answer.status_code == 403 and answer.json()["code"] == "read_only"
    anonymous = Api("dsk_nothing_here").post("/alerts/grafana", payload(alert()))
    assert anonymous.status_code == 401
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"alerts": "ApiDown"},
        {"alerts": [{"status": "burning", "labels": {}, "startsAt": STARTS}]},
        {"alerts": [{"status": "firing", "labels": {"a": 1.5}, "startsAt": STARTS}]},
        {"alerts": [{"status": "firing", "labels": {}, "startsAt": "yesterday"}]},
        {"alerts": [alert(fingerprint="x" * 65)]},
        # Without an offset it could not be compared with a stored start: it failed the retry.
        {"alerts": [alert(startsAt="2026-12-04T09:58:30")]},
        # No place in UTC: a 500 at every retry before.
        {"alerts": [alert(startsAt="0001-01-01T00:00:00+01:00")]},
        {"alerts": [alert("resolved", endsAt="9999-12-31T23:59:59-05:00")]},
        {"alerts": [alert(labels={"alertname": "x" * 10_001})]},
        [alert()],
    ],
)
def test_a_malformed_payload_is_a_422_problem(receiver, body):
    answer = receiver.client.post(
        "/api/v1/alerts/alertmanager",
        body,
        content_type="application/json",
        headers=receiver.headers,
    )
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == "invalid_request"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_422_problem(receiver, raw):
    answer = receiver.client.generic(
        "POST",
        "/api/v1/alerts/alertmanager",
        raw,
        content_type="application/json",
        headers=receiver.headers,
    )
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"] == "application/problem+json"


def test_the_admin_sets_a_receivers_routing_and_refuses_a_wrong_level(client, people):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", "root@ccs2.test", "pw"))
    form = {
        "name": "alertmanager",
        "scope": "write",
        "contact": people.client.pk,
        "alert_routing-TOTAL_FORMS": "1",
        "alert_routing-INITIAL_FORMS": "0",
        "alert_routing-0-label": "priority",
        "alert_routing-0-levels": '{"P1": 1, "P2": 7}',
        "alert_routing-0-default_level": "3",
    }
    refused = client.post("/admin/api/apitoken/add/", form)
    assert refused.status_code == 200
    assert "The level of &#x27;P2&#x27; must be 1, 2, 3 or 4, not 7." in refused.content.decode()
    form["alert_routing-0-levels"] = '{"P1": 1, "P2": 2}'
    client.post("/admin/api/apitoken/add/", form)
    routing = AlertRouting.objects.get(token__name="alertmanager")
    assert routing.level_of({"priority": "p2"}) == (2, "priority=p2")


def test_nul_and_blank_names_are_kept_as_text(receiver):
    """PostgreSQL holds no NUL in text: an alert with one is kept without it, not refused."""
    odd = alert(labels={"alertname": " ", "sev\x00": "x\x00y"}, annotations={}, fingerprint="n\x00")
    [done] = post(receiver, payload(odd))
    assert done["outcome"] == "opened" and done["fingerprint"] == "n"
    ticket = the_ticket()
    assert ticket.subject == "Alert"
    assert "  sev=xy" in ticket.messages.get().text
