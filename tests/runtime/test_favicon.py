"""Every page has a favicon: the desk and the portal link it, and /favicon.ico (which browsers
ask for on their own, on the admin's pages too) leads to it, so that no console shows a 404."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert (response.status_code, response["Location"]) == (301, "/static/favicon.svg")
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


def test_the_desks_pages_link_the_icon(client: Client) -> None:
    page = client.get("/desk/login/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
