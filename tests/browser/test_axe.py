"""WCAG 2.1 AA on every page of the desk and the portal: axe-core (node_modules/axe-core, pinned
in package-lock.json, installed by `make setup-tests`) runs in Chromium on each page as the
person who uses it sees it, and finds nothing; and no page scrolls sideways on a 390 px phone.

axe is evaluated through the DevTools protocol, which the pages' strict CSP does not govern:
no page relaxes its policy for the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import timezone
from playwright.sync_api import Page

from deskside.desk import saved_views
from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.portal.session import user_for
from tests.browser.test_desk import sign_in
from tests.browser.test_nothing_unseen import from_claire
from tests.browser.test_refusal import sign_in as sign_in_by_session
from tests.desk.conftest import open_ticket
from tests.people import People, make_people

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[str]:
    """What axe finds on the page as it stands, one line per rule and element."""
    assert AXE.exists(), f"{AXE} is missing: run `make setup-tests` (npm ci)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;true")
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id,"
        " help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))}))",
        WCAG_21_AA,
    )
    assert result["passes"] > 0, f"axe checked nothing on {page.url}"
    found = result["violations"]
    return [f"{v['id']} ({v['help']}): {node}" for v in found for node in v["nodes"]]


def check(page: Page, url: str) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == 200, url  # the page, not a refusal
    assert page.url == url, f"{url} went to {page.url}"
    page.wait_for_load_state()
    return [f"{url}: {line}" for line in violations(page)]


def too_wide(page: Page, url: str) -> list[str]:
    """At a phone's 390 px, the page scrolls sideways when it is wider than the screen."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    page.wait_for_load_state()
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    page.set_viewport_size({"width": 1280, "height": 720})
    return [f"{url}: {width} px wide at 390 px"] if width > 390 else []


def scene() -> tuple[People, str]:
    """A ticket with a conversation, held mail, a notification: every page has something."""
    people = make_people()
    ticket = open_ticket(people, 2, "[Sev 2] Export fails", received_at=timezone.now())
    ingest(from_claire("Sev 3 - Export job stuck"), door=Door.PIPE)
    return people, ticket.ref


def test_axe_finds_what_is_wrong(page: Page) -> None:
    """The check itself: a page with an image without text and an unlabelled field fails it."""
    page.set_content(
        '<html lang="en"><title>t</title><main><img src="x.png"><input type="text"></main></html>'
    )
    found = violations(page)
    assert any(line.startswith("image-alt") for line in found), found
    assert any(line.startswith("label") for line in found), found


def test_every_desk_page_meets_wcag_21_aa(live_server, page: Page) -> None:
    people, ref = scene()
    saved_views.save(people.lead, "Breached, oldest first", QueryDict("breached=on&order=oldest"))
    base = live_server.url
    found = check(page, f"{base}/desk/login/")
    sign_in(page, base, people.lead.username)
    for path in (
        "/desk/",
        "/desk/?breached=on&soon=on&order=newest",  # the saved views and the form to save one
        "/desk/?status=closed",
        f"/desk/ticket/{ref}/",
        "/desk/search/?q=export",
        "/desk/new/?find=claire",
        f"/desk/new/?contact={people.client.pk}",
        "/desk/held/",
        "/desk/notifications/",
        "/desk/notifications/settings/",
        "/desk/visits/",
        "/desk/docs/",
        "/desk/reports/",
        "/desk/api-tokens/",
        "/api/v1/reference",
        "/desk/customers/?q=claire",
        f"/desk/customers/contact/{people.client.pk}/",
        f"/desk/customers/contact/{people.client.pk}/edit/",
        f"/desk/customers/organisation/{people.acme.pk}/",
    ):
        found += check(page, base + path) + too_wide(page, base + path)
    assert found == []


def test_every_portal_page_meets_wcag_21_aa(live_server, page: Page) -> None:
    people, ref = scene()
    base = live_server.url
    found = check(page, f"{base}/portal/signin/")
    sign_in_by_session(page, base, user_for(people.client))
    for path in (
        "/portal/",
        f"/portal/ticket/{ref}/",
        "/portal/new/",
        "/portal/password/",
        "/portal/report/",
    ):
        found += check(page, base + path) + too_wide(page, base + path)
    assert found == []
