"""The receiver's check that docs/api.md shows (standard library only) accepts what Deskside
sends and refuses a changed body, a replay and a second copy: the documentation cannot drift."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from deskside.webhooks.models import Kind
from deskside.webhooks.send import deliver_due
from tests.api.conftest import open_ticket
from tests.people import People
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_verify(secret: str) -> Any:
    section = DOC.read_text()
    section = section[section.index("## Webhooks") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    scope: dict[str, Any] = {}
    exec(match.group(1).replace('SECRET = "whsec_…"', f"SECRET = {secret!r}"), scope)
    return scope["verify"]


def test_the_documented_check_accepts_a_delivery_once(people: People, receiver: Receiver) -> None:
    endpoint = subscribe(people, receiver, Kind.TICKET_CREATED)
    ticket = open_ticket(people.client)
    deliver_due()
    (got,) = receiver.received
    verify = documented_verify(endpoint.secret)

    assert verify(got.body.replace(b"Export", b"Exp0rt"), got.headers) is None  # changed
    assert verify(got.body, got.headers)["data"]["ticket"]["ref"] == ticket.ref
    assert verify(got.body, got.headers) is None  # the same webhook-id again: already handled
    # Signed rightly (by the reference library), but ten minutes old: a replay.
    old = datetime.now(UTC) - timedelta(minutes=10)
    signature = Webhook(endpoint.secret).sign("msg_other", old, got.body)
    stale = {"webhook-id": "msg_other", "webhook-timestamp": str(int(old.timestamp()))}
    assert verify(got.body, {**stale, "webhook-signature": signature}) is None
    fresh = datetime.now(UTC)
    signature = Webhook(endpoint.secret).sign("msg_other", fresh, got.body)
    stale = {"webhook-id": "msg_other", "webhook-timestamp": str(int(fresh.timestamp()))}
    assert verify(got.body, {**stale, "webhook-signature": signature}) is not None
