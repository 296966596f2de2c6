"""Sessions: they end on a password change and on signing out, a sign-in link dies with the
account state it was issued for, and the session id changes at sign-in.

From issue #13 ("a sign-in link issued before a password change still works"), OWASP ASVS
4.0.3 V3.2.1, V3.3.1 and V3.3.3, CWE-384, CWE-613 and CWE-640.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from deskside.portal.models import LoginToken
from tests.people import People
from tests.portal.conftest import link_token
from tests.security.servers import Web, fetch

pytestmark = pytest.mark.django_db

NO_LONGER_WORKS = "sent before a change to your account"


def desk_signed_in(username: str) -> Client:
    """An agent signed in through the desk's own page, as a person does."""
    browser = Client()
    answer = browser.post("/desk/login/", {"username": username, "password": f"pw-{username}"})
    assert answer.status_code == 302
    return browser


def portal_by_link(address: str) -> Client:
    browser = Client()
    browser.post("/portal/signin/", {"email": address})
    assert browser.post(f"/portal/login/{link_token(address)}/").status_code == 302
    assert browser.get("/portal/").status_code == 200
    return browser


def choose_password(browser: Client, password: str = "correct horse battery") -> Any:
    return browser.post("/portal/password/", {"new_password1": password, "new_password2": password})


def administrator() -> Client:
    User.objects.create_superuser("root", "root@ccs2.test", "pw-root")
    browser = Client()
    browser.force_login(User.objects.get(username="root"))
    return browser


def admin_sets_password(admin: Client, user: User, password: str) -> None:
    answer = admin.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": password, "password2": password, "usable_password": "true"},
    )
    assert answer.status_code == 302, answer.content.decode()[-2000:]


def test_an_agents_session_ends_when_the_admin_changes_the_password(people):
    """ASVS 4.0.3 V3.3.3 (sessions end after a password change): Django keeps a hash of the
    password in the session and refuses the session once they differ."""
    agent = desk_signed_in("alice")
    assert agent.get("/desk/").status_code == 200
    admin_sets_password(administrator(), people.agent, "a new long passphrase")
    answer = agent.get("/desk/")
    assert answer.status_code == 302 and answer["Location"].startswith("/desk/login/")


def test_a_client_choosing_a_password_ends_her_other_sessions(people):
    """ASVS V3.3.3: the browser where she chose it stays signed in, the others are signed out."""
    laptop = portal_by_link("claire@acme.example")
    phone = portal_by_link("claire@acme.example")
    assert choose_password(laptop).status_code == 302
    assert laptop.get("/portal/").status_code == 200
    assert phone.get("/portal/").status_code == 302


def test_a_clients_session_ends_when_the_admin_sets_her_password(people):
    """ASVS V3.3.3, for an account that signs in by link only (no usable password)."""
    client = portal_by_link("claire@acme.example")
    people.client.refresh_from_db()
    assert people.client.user is not None
    admin_sets_password(administrator(), people.client.user, "a new long passphrase")
    assert client.get("/portal/").status_code == 302


def test_a_link_sent_before_a_password_change_no_longer_works(people):
    """Issue #13: "a sign-in link issued before a password change still works". CWE-640
    (weak password recovery): whoever read an old mail must not get in after the owner has
    changed her password. The link is bound to the account as it was, like Django's
    PasswordResetTokenGenerator."""
    laptop = portal_by_link("claire@acme.example")
    Client().post("/portal/signin/", {"email": "claire@acme.example"})
    old_link = f"/portal/login/{link_token('claire@acme.example')}/"
    assert choose_password(laptop).status_code == 302

    thief = Client()
    page = thief.get(old_link)
    assert page.status_code == 410 and NO_LONGER_WORKS in page.content.decode()
    answer = thief.post(old_link)
    assert answer.status_code == 410 and NO_LONGER_WORKS in answer.content.decode()
    assert thief.get("/portal/").status_code == 302


def test_a_link_sent_before_a_password_sign_in_no_longer_works(people):
    """CWE-640: signing in (last_login) spends the links in flight, by password too."""
    choose_password(portal_by_link("claire@acme.example"))
    Client().post("/portal/signin/", {"email": "claire@acme.example"})
    old_link = f"/portal/login/{link_token('claire@acme.example')}/"
    Client().post(
        "/portal/signin/password/",
        {"email": "claire@acme.example", "password": "correct horse battery"},
    )
    assert Client().post(old_link).status_code == 410


def test_a_link_sent_to_an_old_address_no_longer_works(people):
    """CWE-640: when the contact's address is changed (she left, the mailbox went to someone
    else), a link mailed to the old address is worthless."""
    Client().post("/portal/signin/", {"email": "claire@acme.example"})
    old_link = f"/portal/login/{link_token('claire@acme.example')}/"
    people.client.email = "claire.peeters@acme.example"
    people.client.save()
    assert Client().post(old_link).status_code == 410
    assert LoginToken.objects.get().used_at is None


def test_a_link_still_works_when_nothing_changed(people):
    """The binding must not break the ordinary case (the test above would pass on a dead link)."""
    Client().post("/portal/signin/", {"email": "claire@acme.example"})
    browser = Client()
    assert browser.post(f"/portal/login/{link_token('claire@acme.example')}/").status_code == 302
    assert browser.get("/portal/").status_code == 200


def test_signing_out_ends_the_session_on_the_server(people):
    """CWE-613 (insufficient session expiration), ASVS V3.3.1: the old cookie, replayed after
    signing out, opens nothing."""
    for browser, home, out in (
        (desk_signed_in("alice"), "/desk/", "/desk/logout/"),
        (portal_by_link("claire@acme.example"), "/portal/", "/portal/signout/"),
    ):
        cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value
        browser.post(out)
        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert replay.get(home).status_code == 302


def test_signing_in_gives_a_new_session_id(people: People):
    """CWE-384 (session fixation), ASVS V3.2.1: an id planted before sign-in is not the one
    that is signed in."""
    for path, data in (
        ("/desk/login/", {"username": "alice", "password": "pw-alice"}),
        ("/portal/signin/password/", None),
    ):
        browser = Client()
        browser.get("/portal/language/?next=/")  # any page that starts a session
        session = browser.session
        session["planted"] = True
        session.save()
        planted = session.session_key
        if data is None:
            choose_password(portal_by_link("claire@acme.example"))
            data = {"email": "claire@acme.example", "password": "correct horse battery"}
        assert browser.post(path, data).status_code == 302
        assert browser.cookies[settings.SESSION_COOKIE_NAME].value != planted


def flags(set_cookie: str) -> set[str]:
    """The attributes of a Set-Cookie line, without its value and dates."""
    attributes = [part.strip() for part in set_cookie.split(";")[1:]]
    return {a for a in attributes if a.split("=")[0] in ("Secure", "HttpOnly", "SameSite")}


def sign_in_over(web: Web, scheme_headers: dict[str, str]) -> dict[str, str]:
    """The desk's sign-in through the real server; every cookie it set, by name."""
    page = fetch(web, "/desk/login/", headers=scheme_headers)
    csrf_cookie = page.cookies()["csrftoken"]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None
    scheme = "https" if scheme_headers else "http"
    answer = fetch(
        web,
        "/desk/login/",
        method="POST",
        headers=scheme_headers
        | {
            "Cookie": csrf_cookie.split(";")[0],
            "Origin": f"{scheme}://localhost",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode(
            {"username": "alice", "password": "pw-alice", "csrfmiddlewaretoken": token[1]}
        ).encode(),
    )
    assert answer.status == 302, answer.body.decode()
    return page.cookies() | answer.cookies()


def test_cookies_are_secure_httponly_and_lax_over_https(start_web):
    """ASVS 4.0.3 V3.4.1 (Secure), V3.4.2 (HttpOnly), V3.4.3 (SameSite); CWE-614 and CWE-1004:
    with an https base URL the session and CSRF cookies never travel over plain http, no script
    reads them, and no other site's form sends them."""
    web = start_web(DESKSIDE_BASE_URL="https://desk.example.com")
    cookies = sign_in_over(web, {"X-Forwarded-Proto": "https"})
    for name in ("sessionid", "csrftoken"):
        assert flags(cookies[name]) == {"Secure", "HttpOnly", "SameSite=Lax"}, cookies[name]


def test_a_local_http_desk_keeps_cookies_usable_over_http(start_web):
    """On a developer's http://127.0.0.1 a Secure cookie would never come back: the same
    cookies, HttpOnly and SameSite=Lax, without Secure."""
    cookies = sign_in_over(start_web(), {})
    for name in ("sessionid", "csrftoken"):
        assert flags(cookies[name]) == {"HttpOnly", "SameSite=Lax"}, cookies[name]
