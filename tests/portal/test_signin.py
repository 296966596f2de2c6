"""Signing in by one-time link or password, and the rate limit on both."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from deskside.accounts import ratelimit
from deskside.accounts.models import Contact
from deskside.outbox.models import OutboundMail
from deskside.portal.models import LoginToken
from tests.portal.conftest import link_token, open_ticket, signed_in

pytestmark = pytest.mark.django_db

SENT = "If this address is known to us, a sign-in link is on its way"


def ask_link(client: Client, address: str, **extra):
    return client.post("/portal/signin/", {"email": address}, **extra)


def test_known_and_unknown_addresses_get_the_same_answer(people):
    known, unknown = Client(), Client()
    answer_known = ask_link(known, "claire@acme.example")
    answer_unknown = ask_link(unknown, people.stranger_email)
    assert answer_known.status_code == answer_unknown.status_code == 302
    assert answer_known["Location"] == answer_unknown["Location"] == "/portal/signin/sent/"
    page_known = known.get(answer_known["Location"]).content.decode()
    page_unknown = unknown.get(answer_unknown["Location"]).content.decode()
    assert SENT in page_known
    assert _without_csrf(page_known) == _without_csrf(page_unknown)
    assert list(OutboundMail.objects.values_list("primary_to", flat=True)) == [
        "claire@acme.example"
    ]


def _without_csrf(html: str) -> str:
    import re

    return re.sub(r'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"', "", html)


def test_the_link_is_mailed_in_the_contacts_language(people):
    ask_link(Client(), "CLAIRE@acme.example")
    mail = OutboundMail.objects.get(purpose="portal_link")
    assert mail.to == ["Claire@Acme.example"]
    assert mail.subject == "Uw aanmeldlink voor Deskside support"
    assert "werkt één keer, binnen 15 minuten" in mail.text
    # The configured base URL, never the request's Host header (which a forger chooses).
    assert "http://127.0.0.1:8000/portal/login/" in mail.text
    assert not mail.automatic


def test_the_token_has_256_random_bits_and_only_its_hash_is_stored(people):
    ask_link(Client(), "claire@acme.example")
    token = link_token("claire@acme.example")
    assert len(base64.urlsafe_b64decode(token + "=")) == 32
    row = LoginToken.objects.get()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in LoginToken.objects.values().get().values()]
    assert not any(token in value for value in stored)
    assert row.expires_at - row.created_at == timedelta(minutes=15)


def test_opening_the_link_only_asks_for_a_confirmation(people):
    ask_link(Client(), "claire@acme.example")
    token = link_token("claire@acme.example")
    client = Client()
    for _ in range(2):  # a mail scanner's prefetch and the client's own click
        page = client.get(f"/portal/login/{token}/")
        assert page.status_code == 200
        assert "Sign me in" in page.content.decode()
    assert LoginToken.objects.get().used_at is None
    assert client.get("/portal/").status_code == 302  # still signed out


def test_confirming_signs_in_once_and_burns_the_token(people):
    ticket = open_ticket(people.client, subject="Invoices are wrong")
    ask_link(Client(), "claire@acme.example")
    token = link_token("claire@acme.example")
    client = Client()
    answer = client.post(f"/portal/login/{token}/")
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    assert answer.cookies["deskside_language"].value == "nl"
    home = client.get("/portal/").content.decode()
    assert ticket.ref in home and "Invoices are wrong" in home
    assert "Nieuw ticket" in home  # the contact's language from the first page on
    again = Client().post(f"/portal/login/{token}/")
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert Client().get(f"/portal/login/{token}/").status_code == 410


def test_the_first_sign_in_creates_an_account_without_a_usable_password(people):
    ask_link(Client(), "jan@acme.example")
    Client().post(f"/portal/login/{link_token('jan@acme.example')}/")
    people.colleague.refresh_from_db()
    user = people.colleague.user
    assert user is not None and user.username == f"contact-{people.colleague.pk}"
    assert not user.has_usable_password()
    ask_link(Client(), "jan@acme.example")
    Client().post(f"/portal/login/{link_token('jan@acme.example')}/")
    assert User.objects.filter(username__startswith="contact-").count() == 1


def test_an_expired_link_says_so(people):
    ask_link(Client(), "claire@acme.example")
    token = link_token("claire@acme.example")
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        page = Client().post(f"/portal/login/{token}/")
    assert page.status_code == 410
    assert "The link has expired" in page.content.decode()
    assert LoginToken.objects.get().used_at is None


def test_an_unknown_link_says_so(people):
    page = Client().get("/portal/login/not-a-real-token/")
    assert page.status_code == 404
    assert "We do not know this link" in page.content.decode()
    assert Client().post("/portal/login/not-a-real-token/").status_code == 404


def test_link_requests_are_limited_per_address(people):
    for _ in range(ratelimit.LINKS_PER_ADDRESS_AND_CLIENT):
        assert ask_link(Client(), "claire@acme.example").status_code == 302
    refused = ask_link(Client(), "Claire@acme.example")
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.content.decode()
    assert OutboundMail.objects.count() == ratelimit.LINKS_PER_ADDRESS_AND_CLIENT
    with time_machine.travel(timezone.now() + ratelimit.WINDOW + timedelta(seconds=1)):
        assert ask_link(Client(), "claire@acme.example").status_code == 302


def test_link_requests_are_limited_per_ip(people):
    for number in range(ratelimit.LINKS_PER_CLIENT):
        assert ask_link(Client(), f"guess{number}@acme.example").status_code == 302
    assert ask_link(Client(), "claire@acme.example").status_code == 429
    other_ip = ask_link(Client(), "claire@acme.example", REMOTE_ADDR="192.0.2.7")
    assert other_ip.status_code == 302


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(people):
    """Behind nginx on the same machine every request comes from 127.0.0.1; the limit must
    follow the address the proxy forwards, or one guesser would lock every client out."""
    office = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.4"}
    for number in range(ratelimit.LINKS_PER_CLIENT):
        assert ask_link(Client(), f"guess{number}@acme.example", **office).status_code == 302
    assert ask_link(Client(), "claire@acme.example", **office).status_code == 429
    home = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert ask_link(Client(), "claire@acme.example", **home).status_code == 302
    # A guesser who writes X-Forwarded-For themselves, through the proxy, changes nothing: the
    # proxy appends the address it saw, and only that one is believed.
    spoofed = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 198.51.100.4"}
    assert ask_link(Client(), "colleague@acme.example", **spoofed).status_code == 429


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(people, settings):
    settings.DESKSIDE_TRUSTED_PROXIES = ()  # no proxy: Deskside faces the Internet itself
    for number in range(ratelimit.LINKS_PER_CLIENT):
        fake = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        assert ask_link(Client(), f"guess{number}@acme.example", **fake).status_code == 302
    fresh_claim = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    assert ask_link(Client(), "claire@acme.example", **fresh_claim).status_code == 429


def set_password(contact: Contact, password: str = "correct horse battery") -> None:
    client = signed_in(contact)
    answer = client.post(
        "/portal/password/", {"new_password1": password, "new_password2": password}
    )
    assert answer.status_code == 302, answer.content.decode()


def password_signin(address: str, password: str) -> tuple[Client, Any]:
    client = Client()
    return client, client.post("/portal/signin/password/", {"email": address, "password": password})


def test_a_client_can_set_a_password_and_sign_in_with_it(people):
    set_password(people.client)
    client, answer = password_signin("CLAIRE@acme.example", "correct horse battery")
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(people):
    set_password(people.client)
    _, answer = password_signin("claire@acme.example", "wrong")
    assert answer.status_code == 200
    assert "This address and password do not match" in answer.content.decode()
    _, unknown = password_signin(people.stranger_email, "whatever")
    assert "This address and password do not match" in unknown.content.decode()


def test_a_contact_without_a_password_cannot_sign_in_with_one(people):
    ask_link(Client(), "jan@acme.example")
    Client().post(f"/portal/login/{link_token('jan@acme.example')}/")
    _, answer = password_signin("jan@acme.example", "anything")
    assert answer.status_code == 200
    assert "This address and password do not match" in answer.content.decode()


def test_password_attempts_are_limited_per_address(people):
    set_password(people.client)
    for _ in range(ratelimit.PASSWORDS_PER_ACCOUNT_AND_CLIENT):
        password_signin("claire@acme.example", "wrong")
    _, answer = password_signin("claire@acme.example", "correct horse battery")
    assert answer.status_code == 429
    assert "Too many sign-in attempts" in answer.content.decode()


def test_signing_out_needs_a_post(people):
    client = signed_in(people.client)
    assert client.get("/portal/signout/").status_code == 405
    assert client.post("/portal/signout/").status_code == 302
    assert client.get("/portal/").status_code == 302


def test_a_stranger_is_sent_to_the_sign_in_page(people):
    answer = Client().get("/portal/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/portal/signin/?next=")


def test_staff_without_a_contact_get_a_clear_page(people):
    client = Client()
    client.force_login(people.agent)
    page = client.get("/portal/")
    assert page.status_code == 403
    assert "This portal is for clients" in page.content.decode()


def test_a_signed_in_client_skips_the_sign_in_page(people):
    answer = signed_in(people.client).get("/portal/signin/")
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
