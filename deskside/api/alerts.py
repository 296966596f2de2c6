"""/api/v1/alerts/: monitoring systems open tickets. Prometheus Alertmanager's webhook (payload
version 4) and Grafana's (unified alerting, the same alerts with a few more fields) are read
here; deskside/api/alert_tickets.py decides what each alert does to which ticket.

A receiver is a client token with the write scope: the tickets are its organisation's, opened
in its contact's name. The answers are for a person reading a receiver's log: Alertmanager only
looks at the status (it retries a 5xx or a 429, never a 4xx)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import AfterValidator, AwareDatetime, StringConstraints

from deskside.api import alert_tickets
from deskside.api.auth import caller
from deskside.api.problems import WRITES, ApiProblem

router = Router(tags=["alerts"])

MAX_ALERTS = 1000  # per payload; Alertmanager's max_alerts cuts a group's list to fit
TEXT = 10_000  # a label's or an annotation's value, at most


def _in_utc(at: datetime) -> datetime:
    """A moment that has a place in UTC: 0001-01-01T00:00:00+01:00 and 9999-12-31T23:59-05:00
    have none, and would fail every later comparison (422 here, not a 500 at each retry)."""
    try:
        return at.astimezone(UTC)
    except OverflowError:
        raise ValueError("a moment outside the years a calendar can hold") from None


# RFC 3339, with its offset: a moment without one cannot be compared with the ones stored.
Moment = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Text = Annotated[str, StringConstraints(max_length=TEXT)]


class AlertIn(Schema):
    status: Literal["firing", "resolved"]
    labels: dict[str, Text] = Field(description="`alertname` names the alert; see the mapping.")
    annotations: dict[str, Text] = Field(default_factory=dict)
    startsAt: Moment
    endsAt: Moment | None = Field(
        default=None, description="When it resolved; Alertmanager sends year 1 while it fires."
    )
    generatorURL: str = Field(default="", max_length=TEXT)
    fingerprint: str = Field(
        default="", max_length=64, description="Alertmanager's; else one from the labels."
    )


class GrafanaAlertIn(AlertIn):
    dashboardURL: str = Field(default="", max_length=TEXT)
    panelURL: str = Field(default="", max_length=TEXT)
    silenceURL: str = Field(default="", max_length=TEXT)
    valueString: str = Field(default="", max_length=TEXT)


class AlertmanagerIn(Schema):
    """Alertmanager's webhook payload; only `alerts` is needed, the rest is read if present."""

    version: str = "4"
    status: Literal["firing", "resolved"] | None = None
    receiver: str = ""
    groupKey: str = ""
    externalURL: str = Field(default="", max_length=TEXT)
    alerts: list[AlertIn] = Field(max_length=MAX_ALERTS)


class GrafanaIn(AlertmanagerIn):
    alerts: list[GrafanaAlertIn] = Field(max_length=MAX_ALERTS)  # type: ignore[assignment]


class AlertOut(Schema):
    fingerprint: str
    status: str
    outcome: str = Field(description=alert_tickets.OUTCOMES_DOC)
    ticket: str | None = Field(description="The ticket's reference; null when none was touched.")


class AlertsOut(Schema):
    alerts: list[AlertOut]


ANSWERS = {200: AlertsOut, **WRITES}


@router.post("/alerts/alertmanager", response=ANSWERS, summary="Receive Alertmanager's alerts")
def alertmanager(request: HttpRequest, body: AlertmanagerIn) -> dict[str, Any]:
    """A firing alert opens a ticket at the level its labels map to (`severity`: critical → 1,
    warning → 3, anything else → 3, unless the token's routing says otherwise); its repeats go
    to that ticket; a resolved alert adds a note. Posting the same payload again changes
    nothing."""
    return _receive(request, body, source="Alertmanager")


@router.post("/alerts/grafana", response=ANSWERS, summary="Receive Grafana's alerts")
def grafana(request: HttpRequest, body: GrafanaIn) -> dict[str, Any]:
    """Grafana's webhook contact point (unified alerting): as for Alertmanager, with the
    dashboard's and panel's addresses and the values in the ticket."""
    return _receive(request, body, source="Grafana")


def _receive(request: HttpRequest, body: AlertmanagerIn, *, source: str) -> dict[str, Any]:
    who = caller(request)
    who.require_write()
    org = who.contact.organisation if who.contact is not None else None
    if who.contact is None or who.token is None or org is None:
        raise ApiProblem(
            403, "client_token_only", "Alerts are received with a client token of an organisation."
        )
    alerts = [_alert(a, body.externalURL, source) for a in body.alerts]
    done = alert_tickets.receive(alerts, token=who.token, contact=who.contact, organisation=org)
    return {"alerts": [d.answer() for d in done]}


def _alert(alert: AlertIn, external: str, source: str) -> alert_tickets.Alert:
    links = {"Source": alert.generatorURL, source: external}
    values = ""
    if isinstance(alert, GrafanaAlertIn):
        links |= {"Dashboard": alert.dashboardURL, "Panel": alert.panelURL}
        links["Silence"] = alert.silenceURL
        values = alert.valueString
    # While an alert fires Alertmanager sends endsAt as year 1 (Go's zero time), or a time
    # in the future it will resolve at unless told again: neither is a resolution.
    ends = alert.endsAt if alert.status == "resolved" else None
    labels = _clean(alert.labels)
    return alert_tickets.Alert(
        source=source,
        firing=alert.status == "firing",
        labels=labels,
        annotations=_clean(alert.annotations),
        starts_at=alert.startsAt,
        ends_at=ends,
        fingerprint=_text(alert.fingerprint) or alert_tickets.fingerprint(labels),
        links={name: _text(url) for name, url in links.items() if url},
        values=_text(values),
    )


def _clean(texts: dict[str, str]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in texts.items()}


def _text(text: str) -> str:
    """Without NUL, which no database text column holds (PostgreSQL refuses it): a monitoring
    system cannot be asked to send its labels again, so the alert is kept without it."""
    return text.replace("\x00", "")
