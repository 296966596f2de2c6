"""The desk's close form refuses a level-4 ticket closed as answered without its documentation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deskside.tickets.models import Status
from tests.desk.conftest import open_ticket
from tests.people import make_people

pytestmark = pytest.mark.django_db


def test_level_4_answered_without_documentation_is_refused_in_the_desk(client):
    people = make_people()
    ticket = open_ticket(people, 4)
    client.force_login(people.agent)
    page = client.get(reverse("desk:ticket", args=[ticket.ref]))
    assert page.status_code == 200
    url = next(u for u in _post_urls(page.content.decode()) if u.endswith("/close/"))
    response = client.post(url, {"reason": "answered", "note": ""})
    assert response.status_code == 422
    assert "documentation" in response.content.decode().lower()
    ticket.refresh_from_db()
    assert ticket.status != Status.CLOSED


def _post_urls(html: str) -> list[str]:
    import re

    return re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', html) + re.findall(
        r'<form[^>]*action="([^"]+)"[^>]*method="post"', html
    )
