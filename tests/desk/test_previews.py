"""Attachments shown in the thread: images, PDFs and text files, judged by their bytes.

What the peers shipped: FreeScout rendered an SVG attachment that ran its script
(freescout-help-desk/freescout#1359); OWASP's File Upload Cheat Sheet asks that a file be served
as a fixed type with nosniff. Deskside shows a file only as the type its bytes prove.
"""

from __future__ import annotations

import struct
import zlib

import pytest
from django.test import Client

from deskside.portal.session import user_for
from deskside.tickets.actions import NewFile
from deskside.tickets.models import Attachment, Ticket
from deskside.tickets.previews import TEXT_SHOWN, Kind, preview_of
from tests.desk.conftest import open_ticket
from tests.people import People

pytestmark = pytest.mark.django_db


def png(width: int = 2, height: int = 1) -> bytes:
    """A real PNG: white pixels, so that a browser can decode it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LOG = b"2026-11-23 10:00:01 ERROR export failed: <script>alert(1)</script>\n"


def stored(ticket: Ticket) -> dict[str, Attachment]:
    return {a.filename: a for a in Attachment.objects.filter(message__ticket=ticket)}


def opened(people: People, *files: NewFile) -> dict[str, Attachment]:
    return stored(open_ticket(people, 2, files=files))


def page(agent: Client, people: People, *files: NewFile) -> tuple[str, dict[str, Attachment]]:
    ticket = open_ticket(people, 2, files=files)
    return agent.get(f"/desk/ticket/{ticket.ref}/").content.decode(), stored(ticket)


def test_a_file_is_judged_by_its_bytes_not_by_its_claimed_type(people):
    files = opened(
        people,
        NewFile("screen.png", "image/png", png()),
        NewFile("photo.jpg", "application/octet-stream", b"\xff\xd8\xff\xe0rest"),
        NewFile("fake.png", "image/png", b"<html><script>alert(1)</script></html>"),
        NewFile("drawing.svg", "image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        NewFile("manual.pdf", "application/octet-stream", PDF),
        NewFile("export.log", "application/octet-stream", LOG),
        NewFile("page.html", "text/html", b"<p>hello</p>"),
        NewFile("dump.bin", "text/plain", b"text\x00with a NUL"),
    )
    kinds = {name: (shown.kind, shown.content_type) if (shown := preview_of(found)) else None
             for name, found in files.items()}  # fmt: skip
    assert kinds == {
        "screen.png": (Kind.IMAGE, "image/png"),
        "photo.jpg": (Kind.IMAGE, "image/jpeg"),
        "fake.png": None,
        "drawing.svg": None,
        "manual.pdf": (Kind.PDF, "application/pdf"),
        "export.log": (Kind.TEXT, "text/plain"),
        "page.html": None,
        "dump.bin": None,
    }


def test_the_thread_shows_an_image_a_pdf_link_and_a_log(agent, people):
    html, files = page(
        agent,
        people,
        NewFile("screen.png", "image/png", png()),
        NewFile("manual.pdf", "application/pdf", PDF),
        NewFile("export.log", "text/plain", LOG),
    )
    image = f"/desk/file/{files['screen.png'].stored_name}/inline/"
    assert f'<img src="{image}" alt="screen.png, an attached image (opens it whole)"' in html
    pdf = f"/desk/file/{files['manual.pdf'].stored_name}/inline/"
    assert f'href="{pdf}" target="_blank" rel="noopener">Read it in the browser' in html
    assert "ERROR export failed: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    # Each still downloads as before.
    for found in files.values():
        assert f'href="/desk/file/{found.stored_name}/" download' in html


def test_an_image_is_served_as_what_its_bytes_are_under_a_sandbox(agent, people):
    files = opened(people, NewFile("screen.png", "application/octet-stream", png()))
    response = agent.get(f"/desk/file/{files['screen.png'].stored_name}/inline/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert b"".join(response.streaming_content) == png()


def test_a_pdf_opens_in_the_browsers_viewer(agent, people):
    files = opened(people, NewFile("manual.pdf", "application/pdf", PDF))
    response = agent.get(f"/desk/file/{files['manual.pdf'].stored_name}/inline/")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # Chromium's PDF viewer does not draw under a sandbox; framing stays refused.
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_only_a_proven_image_or_pdf_has_an_inline_url(agent, people):
    files = opened(
        people,
        NewFile("fake.png", "image/png", b"<html><script>alert(1)</script></html>"),
        NewFile("drawing.svg", "image/svg+xml", b"<svg onload='alert(1)'/>"),
        NewFile("export.log", "text/plain", LOG),
    )
    for found in files.values():
        assert agent.get(f"/desk/file/{found.stored_name}/inline/").status_code == 404
    assert agent.get(f"/desk/file/{'0' * 32}/inline/").status_code == 404


def test_a_long_log_shows_its_start_and_says_so(agent, people):
    long_log = b"line\n" * (TEXT_SHOWN // 5 + 10)
    html, _files = page(agent, people, NewFile("big.log", "text/plain", long_log))
    assert "The first 64 KB; download the file for the rest." in html


def test_inline_files_are_for_staff_only(people):
    found = opened(people, NewFile("screen.png", "image/png", png()))["screen.png"]
    url = f"/desk/file/{found.stored_name}/inline/"
    assert Client().get(url)["Location"].startswith("/desk/login/")
    client = Client()
    client.force_login(user_for(people.client))
    assert client.get(url).status_code == 404  # as for a file that does not exist


def test_previews_add_no_query_to_the_ticket_page(agent, people, django_assert_max_num_queries):
    plain = open_ticket(people, 2, files=(NewFile("a.bin", "application/zip", b"PK\x03\x04"),))
    agent.get(f"/desk/ticket/{plain.ref}/")  # warm the caches
    shown = open_ticket(
        people,
        2,
        files=(NewFile("a.png", "image/png", png()), NewFile("b.log", "text/plain", LOG)),
    )
    with django_assert_max_num_queries(30) as counted:
        agent.get(f"/desk/ticket/{plain.ref}/")
    baseline = len(counted.captured_queries)
    with django_assert_max_num_queries(baseline):
        agent.get(f"/desk/ticket/{shown.ref}/")
