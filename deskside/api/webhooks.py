"""/api/v1/webhooks: a member of staff's webhook endpoints, their deliveries and "send again".

Only staff with a write token (or the desk's session) manage webhooks; a client token is
refused before anything is looked up. Each sees their own endpoints, a lead everyone's; an
endpoint the caller may not see is a 404, exactly as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja import Status as Answer

from deskside.accounts.roles import Role, has_role
from deskside.api.auth import caller
from deskside.api.problems import COMMON, ApiProblem, Problem
from deskside.api.schemas import In
from deskside.webhooks import endpoints
from deskside.webhooks.models import Attempt, Delivery, Endpoint, Kind

router = Router(tags=["webhooks"])
ANSWERS = {**COMMON, 403: Problem}


class EndpointIn(In):
    url: str = Field(max_length=2000, description="http or https; POSTed to with each event.")
    kinds: list[Kind] = Field(min_length=1, description="The events it receives.")
    description: str = Field(default="", max_length=200)


class EndpointChange(In):
    url: str | None = Field(default=None, max_length=2000)
    kinds: list[Kind] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=200)
    enabled: bool | None = Field(default=None, description="false: no events are queued.")
    paused: bool | None = Field(
        default=None, description="false resumes a paused endpoint: what waits is sent now."
    )


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    kinds: list[str]
    owner: str
    enabled: bool
    paused_at: datetime | None = Field(description="Set when it failed for days; null: sending.")
    failing_since: datetime | None
    created_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description='The signing secret ("whsec_…"): shown this once.')


class AttemptOut(Schema):
    at: datetime
    status_code: int | None
    duration_ms: int
    response: str
    error: str


class DeliveryOut(Schema):
    id: int
    webhook_id: str = Field(description="The webhook-id header: the same on every attempt.")
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    payload: str = Field(description="The body, exactly as signed and sent.")
    log: list[AttemptOut]


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_before: int | None = Field(description="Pass as `before` for older ones; null: last.")


class DeliveryQuery(In):
    before: int | None = None
    limit: int = Field(default=20, ge=1, le=100)


class Queued(Schema):
    queued: int


def _manager(request: HttpRequest) -> User:
    return caller(request).require_staff()


def _endpoints(user: User) -> QuerySet[Endpoint]:
    mine = Endpoint.objects.select_related("owner").prefetch_related("subscriptions")
    return mine if has_role(user, Role.LEAD) else mine.filter(owner=user)


def _endpoint(user: User, pk: int) -> Endpoint:
    found = _endpoints(user).filter(pk=pk).first()
    if found is None:
        raise ApiProblem(404, "not_found", f"No webhook endpoint {pk}.")
    return found


def _out(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "kinds": endpoint.kinds,
        "owner": endpoint.owner.get_username(),
        "enabled": endpoint.enabled,
        "paused_at": endpoint.paused_at,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
    }


def _invalid(error: endpoints.EndpointError) -> ApiProblem:
    return ApiProblem(422, "invalid_request", str(error))


@router.get("/webhooks", response={200: list[EndpointOut], **ANSWERS}, summary="Webhook endpoints")
def list_endpoints(request: HttpRequest) -> list[dict[str, Any]]:
    """Your endpoints (a lead's: everyone's), without their secrets."""
    return [_out(e) for e in _endpoints(_manager(request))]


@router.post(
    "/webhooks", response={201: EndpointWithSecret, **ANSWERS}, summary="Add a webhook endpoint"
)
def create_endpoint(request: HttpRequest, body: EndpointIn) -> Answer[dict[str, Any]]:
    """The answer holds the signing secret, this once: keep it for the receiver."""
    user = _manager(request)
    try:
        endpoint = endpoints.create(user, body.url, body.kinds, body.description)
    except endpoints.EndpointError as error:
        raise _invalid(error) from error
    return Answer(201, {**_out(_endpoint(user, endpoint.pk)), "secret": endpoint.secret})


@router.get("/webhooks/{pk}", response={200: EndpointOut, **ANSWERS}, summary="One endpoint")
def get_endpoint(request: HttpRequest, pk: int) -> dict[str, Any]:
    return _out(_endpoint(_manager(request), pk))


@router.patch("/webhooks/{pk}", response={200: EndpointOut, **ANSWERS}, summary="Change one")
def change_endpoint(request: HttpRequest, pk: int, body: EndpointChange) -> dict[str, Any]:
    """Change what is given; `"paused": false` resumes an endpoint paused for failing."""
    user = _manager(request)
    endpoint = _endpoint(user, pk)
    try:
        _change(endpoint, body)
    except endpoints.EndpointError as error:
        raise _invalid(error) from error
    return _out(_endpoint(user, pk))


@transaction.atomic
def _change(endpoint: Endpoint, body: EndpointChange) -> None:
    if body.paused:
        raise endpoints.EndpointError("Deskside pauses an endpoint; to stop it, set enabled.")
    if body.url is not None:
        endpoint.url = endpoints.check_url(body.url)
    if body.description is not None:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
    endpoint.save(update_fields=["url", "description", "enabled"])
    if body.kinds is not None:
        endpoints.set_kinds(endpoint, body.kinds)
    if body.paused is False and endpoint.paused_at is not None:
        endpoints.resume(endpoint)


@router.delete("/webhooks/{pk}", response={204: None, **ANSWERS}, summary="Delete one")
def delete_endpoint(request: HttpRequest, pk: int) -> Answer[None]:
    """The endpoint goes with its deliveries and their log."""
    endpoints.delete([_endpoint(_manager(request), pk)])
    return Answer(204, None)


@router.post(
    "/webhooks/{pk}/secret", response={200: EndpointWithSecret, **ANSWERS}, summary="New secret"
)
def new_secret(request: HttpRequest, pk: int) -> dict[str, Any]:
    """A new signing secret, used from the next attempt on, shown this once."""
    endpoint = _endpoint(_manager(request), pk)
    return {**_out(endpoint), "secret": endpoints.rotate_secret(endpoint)}


@router.get(
    "/webhooks/{pk}/deliveries",
    response={200: DeliveryPage, **ANSWERS},
    summary="Deliveries and their log",
)
def list_deliveries(request: HttpRequest, pk: int, query: Query[DeliveryQuery]) -> dict[str, Any]:
    """Newest first, each with its attempts (status code, response excerpt, error, duration)."""
    endpoint = _endpoint(_manager(request), pk)
    rows = endpoint.deliveries.prefetch_related("log").order_by("-id")
    if query.before is not None:
        rows = rows.filter(id__lt=query.before)
    found = list(rows[: query.limit + 1])
    shown = found[: query.limit]
    more = len(found) > query.limit
    return {
        "items": [_delivery(d) for d in shown],
        "next_before": shown[-1].pk if more else None,
    }


def _delivery(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.message_id,
        "kind": delivery.kind,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "payload": delivery.body,
        "log": [_attempt(a) for a in delivery.log.all()],
    }


def _attempt(attempt: Attempt) -> dict[str, Any]:
    return {
        "at": attempt.at,
        "status_code": attempt.status_code,
        "duration_ms": attempt.duration_ms,
        "response": attempt.response,
        "error": attempt.error,
    }


@router.post(
    "/webhooks/{pk}/deliveries/{delivery}/send-again",
    response={202: Queued, **ANSWERS},
    summary="Send a delivery again",
)
def send_again(request: HttpRequest, pk: int, delivery: int) -> Answer[dict[str, int]]:
    """Queued now, with the same webhook-id; a paused endpoint sends it once resumed."""
    endpoint = _endpoint(_manager(request), pk)
    found = endpoint.deliveries.filter(pk=delivery).first()
    if found is None:
        raise ApiProblem(404, "not_found", f"No delivery {delivery} of this endpoint.")
    return Answer(202, {"queued": endpoints.send_again([found])})
