"""Sign-in: password guessing, lock-out by strangers, account enumeration, where links go.

The hostile inputs come from the peers' record (issue #13: the desk's and the admin's sign-in
had no attempt limit, a stranger could lock a client out of the portal with five link requests)
and from CWE-307, CWE-645, CWE-204, CWE-208 and OWASP ASVS 4.0.3 V2.2.1 / WSTG-IDNT-04.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from deskside.accounts import ratelimit
from deskside.outbox.models import OutboundMail
from deskside.outbox.send import build
from tests.people import People
from tests.portal.conftest import link_token, signed_in
from tests.security.conftest import from_address

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many sign-in attempts"
DESK_WRONG = "Please enter a correct username and password"
PORTAL_WRONG = "This address and password do not match"


def desk_signin(browser: Client, username: str, password: str, **extra: Any) -> Any:
    return browser.post("/desk/login/", {"username": username, "password": password}, **extra)


def admin_signin(browser: Client, username: str, password: str, **extra: Any) -> Any:
    return browser.post("/admin/login/", {"username": username, "password": password}, **extra)


def portal_password(browser: Client, address: str, password: str) -> Any:
    return browser.post("/portal/signin/password/", {"email": address, "password": password})


def ask_link(browser: Client, address: str) -> Any:
    return browser.post("/portal/signin/", {"email": address})


def give_password(people: People, password: str = "correct horse battery") -> None:
    answer = signed_in(people.client).post(
        "/portal/password/", {"new_password1": password, "new_password2": password}
    )
    assert answer.status_code == 302


def without_csrf(html: str) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"|"X-CSRFToken": "[A-Za-z0-9]{64}"', "", html)


# Guessing passwords ------------------------------------------------------------------------


def test_sixty_wrong_passwords_then_the_right_one_no_longer_opens_the_desk(people):
    """Issue #13: "60 wrong passwords, then the right one works". CWE-307 (improper
    restriction of excessive authentication attempts); ASVS 4.0.3 V2.2.1."""
    guesser = Client()
    answers = [desk_signin(guesser, "alice", f"guess-{n}") for n in range(60)]
    assert [a.status_code for a in answers[:5]] == [200] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    right = desk_signin(guesser, "alice", "pw-alice")
    assert right.status_code == 429
    assert TOO_MANY in right.content.decode()
    assert guesser.get("/desk/").status_code == 302  # still signed out
    with time_machine.travel(timezone.now() + ratelimit.WINDOW + timedelta(seconds=1)):
        after = desk_signin(guesser, "alice", "pw-alice")
        assert (after.status_code, after["Location"]) == (302, "/desk/")


def test_the_admins_sign_in_is_limited_like_the_desks(people):
    """Issue #13: the admin's sign-in had no attempt limit either. CWE-307; ASVS V2.2.1."""
    guesser = Client()
    for n in range(ratelimit.PASSWORDS_PER_ACCOUNT_AND_CLIENT):
        assert admin_signin(guesser, "lena", f"guess-{n}").status_code == 200
    right = admin_signin(guesser, "lena", "pw-lena")
    assert right.status_code == 429
    assert TOO_MANY in right.content.decode()
    assert guesser.get("/admin/").status_code == 302


def test_the_desk_and_the_admin_count_together(people):
    """One account, two doors: guesses on each add up (CWE-307), or each door would double
    the guesses an attacker gets."""
    guesser = Client()
    for n in range(3):
        desk_signin(guesser, "lena", f"guess-{n}")
    for n in range(2):
        admin_signin(guesser, "lena", f"guess-{n}")
    assert desk_signin(guesser, "lena", "pw-lena").status_code == 429


def test_a_guesser_cannot_lock_the_real_agent_out(people):
    """CWE-645 (overly restrictive account lock-out): a stranger's wrong passwords hold only
    the stranger's address; the agent, elsewhere, signs in at once."""
    stranger = from_address("203.0.113.66")
    for n in range(30):
        desk_signin(stranger, "alice", f"guess-{n}")
    agent = from_address("198.51.100.10")
    answer = desk_signin(agent, "alice", "pw-alice")
    assert (answer.status_code, answer["Location"]) == (302, "/desk/")
    assert agent.get("/desk/").status_code == 200


def test_guesses_from_many_addresses_get_one_try_each(people):
    """Distributed guessing (CWE-307, ASVS V2.2.1 "soft lock-out"): once an account has had 50
    wrong passwords in the window, an address that already failed for it waits, while an
    address that has not failed (the real person) still signs in."""
    for n in range(ratelimit.PASSWORDS_PER_ACCOUNT):
        desk_signin(from_address(f"198.18.0.{n + 1}"), "alice", f"guess-{n}")
    again = desk_signin(from_address("198.18.0.1"), "alice", "pw-alice")
    assert again.status_code == 429
    fresh = desk_signin(from_address("192.0.2.200"), "alice", "pw-alice")
    assert fresh.status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(people):
    """Password spraying (CWE-307): 20 wrong passwords from one address, for any names."""
    sprayer = Client()
    for n in range(ratelimit.PASSWORDS_PER_CLIENT):
        desk_signin(sprayer, f"user{n}", "Summer2026!")
    assert desk_signin(sprayer, "bob", "pw-bob").status_code == 429
    assert portal_password(sprayer, "claire@acme.example", "Summer2026!").status_code == 429


@pytest.mark.parametrize(
    ("language", "phrase"),
    [
        ("nl", "Te veel aanmeldpogingen"),
        ("fr", "Trop de tentatives de connexion"),
        ("de", "Zu viele Anmeldeversuche"),
    ],
)
def test_the_refusal_speaks_the_readers_language(people, language, phrase):
    """A clear page, not a bare status (ASVS V2.2.1 asks for a limit, not a dead end)."""
    reader = Client(HTTP_ACCEPT_LANGUAGE=language)
    for n in range(ratelimit.PASSWORDS_PER_ACCOUNT_AND_CLIENT):
        desk_signin(reader, "alice", f"guess-{n}")
        admin_signin(reader, "lena", f"guess-{n}")
        portal_password(reader, "claire@acme.example", f"guess-{n}")
    for answer in (
        desk_signin(reader, "alice", "pw-alice"),
        admin_signin(reader, "lena", "pw-lena"),
        portal_password(reader, "claire@acme.example", "whatever"),
    ):
        assert answer.status_code == 429
        assert phrase in answer.content.decode()


# Link requests do not lock anyone out ------------------------------------------------------


def test_a_stranger_asking_for_links_does_not_lock_the_client_out(people):
    """Issue #13: "a stranger can lock a client out of the portal with five link requests".
    CWE-645. The stranger's requests stop at the bound; the client's password still works from
    her own address, and the links the stranger asked for are in her mailbox, not his."""
    give_password(people)
    stranger = from_address("203.0.113.66")
    answers = [ask_link(stranger, "claire@acme.example").status_code for _ in range(12)]
    assert answers.count(302) == ratelimit.LINKS_PER_ADDRESS_AND_CLIENT
    helpers = [from_address(f"203.0.113.{n}") for n in range(100, 110)]
    for helper in helpers:
        ask_link(helper, "claire@acme.example")
    sent = OutboundMail.objects.filter(purpose="portal_link")
    assert sent.count() == ratelimit.LINKS_PER_ADDRESS
    assert {tuple(mail.to) for mail in sent} == {("Claire@Acme.example",)}

    claire = from_address("198.51.100.20")
    assert (
        portal_password(claire, "claire@acme.example", "correct horse battery").status_code == 302
    )
    assert claire.get("/portal/").status_code == 200

    # Her own link request meets the bound on her address, and is told to use her mailbox.
    other_device = from_address("198.51.100.21")
    answer = ask_link(other_device, "claire@acme.example")
    assert answer.status_code == 429
    assert "Use the newest one in your mailbox" in answer.content.decode()


def test_a_link_in_the_clients_mailbox_still_signs_her_in_during_a_flood(people):
    """CWE-645: links asked for by a stranger are mailed to the client; she can use one."""
    stranger = from_address("203.0.113.66")
    for _ in range(8):
        ask_link(stranger, "claire@acme.example")
    token = link_token("claire@acme.example")
    claire = from_address("198.51.100.20")
    assert claire.post(f"/portal/login/{token}/").status_code == 302
    assert claire.get("/portal/").status_code == 200


def test_the_link_bound_is_the_same_for_known_and_unknown_addresses(people):
    """CWE-204: a limit that only known addresses reach would tell a stranger who is a client."""
    for address in ("claire@acme.example", people.stranger_email):
        answers = [
            ask_link(from_address(f"192.0.2.{n}"), address).status_code
            for n in range(ratelimit.LINKS_PER_ADDRESS + 1)
        ]
        assert answers == [302] * ratelimit.LINKS_PER_ADDRESS + [429]


# Enumeration --------------------------------------------------------------------------------


def test_the_desk_answers_alike_for_a_known_and_an_unknown_name(people):
    """CWE-204 (observable response discrepancy); OWASP WSTG-IDNT-04."""
    known = desk_signin(Client(), "alice", "wrong")
    unknown = desk_signin(Client(), "nobody-here", "wrong")
    assert known.status_code == unknown.status_code == 200
    assert DESK_WRONG in known.content.decode()
    known_page = without_csrf(known.content.decode()).replace("alice", "NAME")
    assert known_page == without_csrf(unknown.content.decode()).replace("nobody-here", "NAME")


def test_the_admin_answers_alike_for_a_known_and_an_unknown_name(people):
    """CWE-204; WSTG-IDNT-04. An agent (no staff status) gets the same answer as a stranger."""
    pages = []
    for name in ("lena", "alice", "nobody-here"):
        answer = admin_signin(Client(), name, "wrong")
        assert answer.status_code == 200
        pages.append(without_csrf(answer.content.decode()).replace(name, "NAME"))
    assert pages[0] == pages[1] == pages[2]


def test_the_portal_password_answers_alike_for_every_kind_of_address(people):
    """CWE-204: a client with a password, one without, and an unknown address."""
    give_password(people)
    pages = []
    for address in ("claire@acme.example", "jan@acme.example", people.stranger_email):
        answer = portal_password(Client(), address, "wrong")
        assert answer.status_code == 200
        assert PORTAL_WRONG in answer.content.decode()
        pages.append(without_csrf(answer.content.decode()).replace(address, "ADDRESS"))
    assert pages[0] == pages[1] == pages[2]


def test_there_is_no_password_reset_to_enumerate_with(people):
    """WSTG-IDNT-04 lists password reset as an enumeration door. Deskside has none: staff
    passwords are set by an administrator, and a client's reset is the sign-in link (above)."""
    with pytest.raises(NoReverseMatch):
        reverse("admin_password_reset")
    page = Client().get("/admin/login/").content.decode()
    assert "password_reset" not in page and "Forgotten your password" not in page


def seconds(attempt: Callable[[], Any]) -> float:
    started = time.perf_counter()
    attempt()
    return time.perf_counter() - started


def same_order_of_magnitude(*attempts: Callable[[int], Any], tries: int = 5) -> list[float]:
    """Median durations of each kind of attempt, taken in turn so that a busy moment of this
    shared machine falls on all of them; asserts that none takes five times another."""
    for attempt in attempts:
        attempt(tries)  # warm up every path (templates, queries) before timing it
    rounds: list[list[float]] = [[] for _ in attempts]
    for n in range(tries):
        for durations, attempt in zip(rounds, attempts, strict=True):
            durations.append(seconds(lambda: attempt(n)))  # noqa: B023 - called at once
    medians = [statistics.median(durations) for durations in rounds]
    assert max(medians) < 5 * min(medians), medians
    return medians


@pytest.fixture
def real_hashing(settings: Any, people: People) -> None:
    """A real PBKDF2 hash (tests/security/hashers.py) for every password, so that a path that
    skipped hashing would show."""
    settings.PASSWORD_HASHERS = ["tests.security.hashers.TimingHasher"]
    people.agent.set_password("pw-alice")
    people.agent.save()
    give_password(people)


def test_desk_sign_in_takes_as_long_for_an_unknown_name(people, real_hashing):
    """CWE-208 (observable timing discrepancy): Django hashes the password of an unknown name
    too. Every try comes from its own address, so the limit does not cut the loop short."""
    medians = same_order_of_magnitude(
        lambda n: desk_signin(from_address(f"198.18.1.{n + 1}"), "alice", "wrong"),
        lambda n: desk_signin(from_address(f"198.18.2.{n + 1}"), "nobody-here", "wrong"),
    )
    print("desk sign-in, known / unknown name (s):", medians)


def test_portal_password_takes_as_long_for_every_kind_of_address(people, real_hashing):
    """CWE-208: the portal hashes the typed password when there is nothing to check it with."""
    medians = same_order_of_magnitude(
        lambda n: portal_password(from_address(f"198.18.3.{n + 1}"), "claire@acme.example", "x"),
        lambda n: portal_password(from_address(f"198.18.4.{n + 1}"), "jan@acme.example", "x"),
        lambda n: portal_password(from_address(f"198.18.5.{n + 1}"), "nobody@acme.example", "x"),
    )
    print("portal password, with / without / unknown (s):", medians)


def test_a_link_request_takes_as_long_for_an_unknown_address(people):
    """CWE-208: a known address queues a mail, an unknown one does not."""
    medians = same_order_of_magnitude(
        lambda n: ask_link(from_address(f"198.18.6.{n + 1}"), "claire@acme.example"),
        lambda n: ask_link(from_address(f"198.18.7.{n + 1}"), "nobody@acme.example"),
    )
    print("link request, known / unknown address (s):", medians)


# Where the link goes ------------------------------------------------------------------------


def sent_to() -> list[list[str]]:
    """The recipients of every sign-in link queued, as the mail itself names them."""
    return [
        sorted(build(mail).message().get_all("To") or [])
        for mail in OutboundMail.objects.filter(purpose="portal_link")
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "CLAIRE@ACME.EXAMPLE",  # another case
        "claıre@acme.example",  # dotless i (U+0131): upper-cases to I (GitHub, 2019)
        "clаire@acme.example",  # Cyrillic a (U+0430)
        "ｃlaire@acme.example",  # full-width c
        "claire@acme.examplе",  # Cyrillic e in the domain
        "claire@acme.example\u200b",  # zero-width space
        "Claire Peeters <claire@acme.example>",  # a display name
        "mallory@evil.example <claire@acme.example>",
        "claire@acme.example\r\nBcc: mallory@evil.example",  # CRLF (CWE-93)
        "claire@acme.example\nCc: mallory@evil.example",
        "claire@acme.example,mallory@evil.example",
        "claire@acme.example;mallory@evil.example",
        '"claire@acme.example"@evil.example',
        "claire@acme.example%0d%0abcc:mallory@evil.example",
    ],
)
def test_a_sign_in_link_goes_to_the_stored_address_or_nowhere(people, typed):
    """The GitHub password-reset flaw of 2019 (a Unicode case-folding collision mailed the
    token to the attacker's lookalike address) and CWE-93 (CRLF injection): whatever is typed,
    the link is mailed to the address stored on the contact, or not at all."""
    answer = ask_link(Client(), typed)
    assert answer.status_code in (200, 302)
    assert sent_to() in ([], [["Claire@Acme.example"]])
    assert not OutboundMail.objects.filter(to__icontains="evil").exists()
