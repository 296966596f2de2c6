"""Webhook fixtures: the named people, a receiver on loopback and an endpoint pointing at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deskside.webhooks import endpoints
from deskside.webhooks.models import Endpoint, Kind
from tests.people import People
from tests.webhooks.receiver import Receiver


@pytest.fixture(autouse=True)
def _loopback_allowed(settings) -> None:
    # The receiver listens on 127.0.0.1, which a desk refuses unless told otherwise.
    settings.DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES = True


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


def subscribe(people: People, receiver: Receiver, *kinds: Kind) -> Endpoint:
    """An endpoint of the lead's at the receiver, which learns its secret."""
    endpoint = endpoints.create(people.lead, receiver.url, kinds or list(Kind))
    receiver.secret = endpoint.secret
    return endpoint
