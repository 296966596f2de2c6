"""Deployment settings: `deskside check --deploy` is clean in production, https turns on HSTS,
the redirect and Secure cookies by itself, and only a trusted proxy may say "https".

From issue #13 ("there is no way to turn on HSTS, the SSL redirect or Secure cookies; check
--deploy warns four times"), RFC 6797 (HSTS), OWASP ASVS 4.0.3 V9.1.1 and V14.4.5, CWE-319 and
CWE-348.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime.processes import deskside
from tests.security.servers import SECRET, Web, environment, fetch, free_port

PRODUCTION = {"DESKSIDE_BASE_URL": "https://desk.example.com", "SECRET_KEY": SECRET}
YEAR = 365 * 24 * 3600


def check_deploy(tmp_path: Path, **settings: str) -> tuple[int, list[str], str]:
    env = environment(tmp_path / "data", free_port(), **settings)
    done = deskside(env, "check", "--deploy")
    output = done.stdout + done.stderr
    return done.returncode, re.findall(r"\((security\.\w+)\)", output), output


HTTPS_SETTINGS = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


def https_settings(tmp_path: Path, **settings: str) -> dict[str, object]:
    env = environment(tmp_path / "data", free_port(), **settings)
    code = (
        f"from django.conf import settings as s; print([getattr(s, n) for n in {HTTPS_SETTINGS}])"
    )
    done = deskside(env, "shell", "--no-imports", "-c", code)
    assert done.returncode == 0, done.stderr
    return dict(zip(HTTPS_SETTINGS, ast.literal_eval(done.stdout.strip()), strict=True))


def test_check_deploy_is_clean_with_an_https_base_url(tmp_path):
    """Issue #13: check --deploy warned four times (W004, W008, W012, W016). ASVS V14.4.5
    (HSTS), V9.1.1 (TLS for every connection), CWE-319 (cleartext transmission)."""
    code, warnings, output = check_deploy(tmp_path, **PRODUCTION)
    assert (code, warnings) == (0, []), output
    assert "System check identified no issues" in output


def test_a_local_http_desk_is_warned_of_exactly_the_four_https_settings(tmp_path):
    """On http://127.0.0.1 (a developer's desk) HSTS, the redirect and Secure cookies would
    lock the developer out of their own desk, so they stay off and check --deploy says so:
    these four warnings and no other are expected there."""
    code, warnings, output = check_deploy(
        tmp_path, DESKSIDE_BASE_URL="http://127.0.0.1:8000", SECRET_KEY=SECRET
    )
    assert code == 0
    assert sorted(warnings) == [
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ], output


def test_https_turns_the_protections_on_and_the_variables_tune_hsts(tmp_path):
    """RFC 6797 section 6.1 (max-age, includeSubDomains): on by default with https, tunable."""
    assert list(https_settings(tmp_path, **PRODUCTION).values()) == [YEAR, True, True, True, True]
    tuned = PRODUCTION | {
        "DESKSIDE_HSTS_SECONDS": "3600",
        "DESKSIDE_HSTS_INCLUDE_SUBDOMAINS": "false",
    }
    assert list(https_settings(tmp_path, **tuned).values()) == [3600, False, True, True, True]
    local = {"DESKSIDE_BASE_URL": "http://localhost:8000"}
    assert list(https_settings(tmp_path, **local).values()) == [0, True, False, False, False]


def test_a_bad_hsts_value_stops_start_up_with_a_sentence(tmp_path):
    env = environment(tmp_path / "data", free_port(), DESKSIDE_HSTS_SECONDS="a year")
    done = deskside(env, "check")
    assert done.returncode == 2
    assert "DESKSIDE_HSTS_SECONDS='a year' is not a whole number" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def behind_proxy(start_web: Callable[..., Web]) -> Web:
    """gunicorn as `deskside run` starts it, behind a TLS proxy on 127.0.0.1 (trusted)."""
    return start_web(DESKSIDE_BASE_URL="https://desk.example.com")


def test_the_trusted_proxy_says_https_and_the_page_is_served_with_hsts(behind_proxy):
    """RFC 6797 section 7.1: the header is sent over https."""
    answer = fetch(behind_proxy, "/desk/login/", headers={"X-Forwarded-Proto": "https"})
    assert answer.status == 200
    assert answer.header("Strict-Transport-Security") == f"max-age={YEAR}; includeSubDomains"


def test_plain_http_is_redirected_to_https(behind_proxy):
    """ASVS V9.1.1; RFC 6797 section 7.2 (an http request is redirected, without HSTS)."""
    answer = fetch(behind_proxy, "/portal/signin/")
    assert answer.status == 301
    assert answer.header("Location") == "https://localhost/portal/signin/"
    assert answer.header("Strict-Transport-Security") is None


def test_a_client_saying_https_itself_is_not_believed(behind_proxy):
    """CWE-348 (use of less trusted source): X-Forwarded-Proto from an address that is not in
    DESKSIDE_TRUSTED_PROXIES is the client's own claim; the request is still plain http."""
    answer = fetch(
        behind_proxy, "/desk/login/", headers={"X-Forwarded-Proto": "https"}, source="127.0.0.2"
    )
    assert answer.status == 301
    assert answer.header("Location") == "https://localhost/desk/login/"


def test_the_health_check_answers_over_plain_http(behind_proxy):
    """A load balancer's health check may come over http; it is not redirected."""
    answer = fetch(behind_proxy, "/health", source="127.0.0.2")
    assert (answer.status, answer.body) == (200, b"ok")
