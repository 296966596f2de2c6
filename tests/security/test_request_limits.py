"""Request bodies are weighed before they are read: a body larger than any legitimate upload is
refused with 413 and a clear page, with nothing read; one of unknown length with 411.

From issue #13 ("a 300 MB upload to the portal is read in full before the request is refused,
even anonymously"), CWE-400 and CWE-770 (resource allocation without limits), OWASP ASVS 4.0.3
V12.1.1 (the application will not accept large files that could fill up storage or cause a
denial of service) and RFC 9110 sections 15.5.12 (411) and 15.5.14 (413).
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from deskside.runtime.request_limits import ANONYMOUS_BODY, SIGNED_IN_BODY
from deskside.tickets.models import Ticket
from deskside.tickets.uploads import MOST_BYTES_PER_MESSAGE
from tests.portal.conftest import signed_in
from tests.security.servers import Web, fetch
from tests.security.test_sessions import portal_by_link

MB = 1024 * 1024
HUGE = 300 * MB


@pytest.mark.django_db
def test_the_largest_legitimate_upload_still_goes_through(people):
    """The limit must not refuse what the forms allow: 15 MB of files in one new ticket."""
    half = MOST_BYTES_PER_MESSAGE // 2 - 4096
    answer = signed_in(people.client).post(
        "/portal/new/",
        {
            "subject": "Logs attached",
            "description": "Both logs of the night.",
            "level": "3",
            "attachments": [
                SimpleUploadedFile("night-1.log", b"a" * half, "text/plain"),
                SimpleUploadedFile("night-2.log", b"b" * half, "text/plain"),
            ],
        },
    )
    assert answer.status_code == 302, answer.content.decode()[-500:]
    files = Ticket.objects.get().messages.get().attachments.all()
    assert sorted(f.filename for f in files) == ["night-1.log", "night-2.log"]


@pytest.mark.django_db
def test_a_signed_in_client_is_told_in_her_language(people):
    """ASVS V12.1.1; RFC 9110 section 15.5.14. Only the declared length is looked at."""
    client = portal_by_link("claire@acme.example")  # the portal sets her language cookie
    answer = client.generic(
        "POST",
        "/portal/new/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(SIGNED_IN_BODY + 1),
    )
    assert answer.status_code == 413
    page = answer.content.decode()
    assert "Te groot om te aanvaarden" in page  # Claire reads Dutch
    assert "16,0\xa0MB" in page  # the limit, written the Dutch way


@pytest.mark.django_db
def test_someone_not_signed_in_may_send_only_a_small_form(people):
    """CWE-770: before signing in there is nothing to upload; a sign-in form is a few hundred
    bytes, so 64 kB is plenty."""
    padding = "x" * ANONYMOUS_BODY
    answer = Client().post("/portal/signin/", {"email": "claire@acme.example", "pad": padding})
    assert answer.status_code == 413
    assert "Sign in first" in answer.content.decode()
    assert Client().post("/portal/signin/", {"email": "claire@acme.example"}).status_code == 302


@pytest.mark.django_db
def test_a_body_of_unknown_length_is_refused(people):
    """RFC 9110 section 15.5.12 (411 Length Required): a chunked body has no length to weigh."""
    answer = Client().generic(
        "POST", "/portal/signin/", b"", content_type="text/plain", HTTP_TRANSFER_ENCODING="chunked"
    )
    assert answer.status_code == 411
    assert "did not say its size" in answer.content.decode()


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match is not None
    return int(match[1])


def send_headers_only(web: Web, head: str) -> tuple[bytes, float]:
    """Send a request's head and not one byte of its body; the answer and how long it took.
    A server that reads the body first would wait for it and never answer."""
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as conn:
        started = time.perf_counter()
        conn.sendall(head.encode())
        conn.settimeout(1.0)
        answer = b""
        while not answer.endswith(b"</html>\n"):
            chunk = conn.recv(65536)  # raises TimeoutError after a second of silence
            if not chunk:
                break
            answer += chunk
        return answer, time.perf_counter() - started


def upload_head(path: str, length: int, cookie: str = "") -> str:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        "Content-Type: multipart/form-data; boundary=----deskside",
        f"Content-Length: {length}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return "\r\n".join(lines) + "\r\n\r\n"


@pytest.fixture
def web(start_web: Callable[..., Web]) -> Web:
    """A warm server: the worker loads Django's URLs and templates on its first requests."""
    server = start_web()
    for path in ("/health", "/portal/signin/", "/desk/login/"):
        assert fetch(server, path).status == 200
    return server


def csrf_cookie(web: Web) -> str:
    """The CSRF cookie anyone gets with a page: with it, Django's CSRF check reads the body
    (for the token in it) before any view can refuse the request."""
    return fetch(web, "/portal/signin/").cookies()["csrftoken"].split(";")[0]


def test_an_anonymous_300_mb_upload_is_refused_unread(web):
    """Issue #13, through the real gunicorn: the 413 comes within a second, though the body
    never left the client, and the worker's memory does not grow."""
    cookie = csrf_cookie(web)
    before = rss_kb(web.worker())
    answer, seconds = send_headers_only(web, upload_head("/portal/new/", HUGE, cookie))
    grew = rss_kb(web.worker()) - before
    print(f"anonymous 300 MB: 413 after {seconds * 1000:.0f} ms, worker RSS {grew:+d} kB")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Too large to accept" in answer
    assert seconds < 1.0
    assert grew < 5 * 1024


def desk_session(web: Web) -> str:
    """alice signed in on the real server: her cookies (CSRF and session)."""
    page = fetch(web, "/desk/login/")
    csrf = page.cookies()["csrftoken"].split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    assert token is not None
    form = {"username": "alice", "password": "pw-alice", "csrfmiddlewaretoken": token[1]}
    answer = fetch(
        web,
        "/desk/login/",
        method="POST",
        headers={
            "Cookie": csrf,
            "Origin": "http://localhost",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode(form).encode(),
    )
    assert answer.status == 302
    cookies = page.cookies() | answer.cookies()
    return "; ".join(cookies[name].split(";")[0] for name in ("csrftoken", "sessionid"))


def test_a_signed_in_300_mb_upload_is_refused_unread(web):
    """Issue #13 for staff and clients: the limit follows the largest legitimate upload."""
    cookie = desk_session(web)
    answer, seconds = send_headers_only(web, upload_head("/desk/", HUGE, cookie))
    print(f"signed-in 300 MB: 413 after {seconds * 1000:.0f} ms")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"larger than Deskside accepts (16.0\xc2\xa0MB in all)" in answer
    assert seconds < 1.0


def test_an_endless_chunked_body_is_refused_unread(web):
    """RFC 9112 section 7.1 (chunked transfer coding) has no length to weigh: 411, at once."""
    head = (
        f"POST /portal/signin/ HTTP/1.1\r\nHost: localhost\r\nCookie: {csrf_cookie(web)}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        "100000\r\n"
    )
    answer, seconds = send_headers_only(web, head)
    print(f"chunked: 411 after {seconds * 1000:.0f} ms")
    assert answer.startswith(b"HTTP/1.1 411 ")
    assert seconds < 1.0
