"""Known-vulnerable dependencies: `make audit` (scripts/audit.sh, pip-audit over uv.lock) fails
on a pin with a published advisory, and never passes by skipping what it could not check.

From OWASP ASVS 4.0.3 V14.2.1 (components free of known vulnerabilities), CWE-1395 (dependency
on a vulnerable third-party component) and the OSV schema (ossf.github.io/osv-schema). The
services pip-audit asks are out of reach from the development machines (README, Security), so
these tests give it an OSV API of their own on loopback, serving the published record of
CVE-2023-31047 (Django before 4.2.1: one form field uploading several files bypassed
validation), and point the audit at it with AUDIT_OSV_URL, as an operator would at a mirror.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CVE_2023_31047 = {
    "schema_version": "1.6.0",
    "id": "CVE-2023-31047",
    "summary": "Django: validation bypass when one form field uploads several files",
    "details": "In Django 3.2 before 3.2.19, 4.x before 4.1.9, and 4.2 before 4.2.1, it was "
    "possible to bypass validation when using one form field to upload multiple files.",
    "published": "2023-05-07T02:15:00Z",
    "affected": [
        {
            "package": {"name": "django", "ecosystem": "PyPI"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "4.2"}, {"fixed": "4.2.1"}]}
            ],
        }
    ],
}


class OSV(BaseHTTPRequestHandler):
    """POST /v1/query as OSV answers it: the records that affect the package at the version."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        affected = query["package"]["name"] == "django" and query["version"] == "4.2.0"
        body = json.dumps({"vulns": [CVE_2023_31047]} if affected else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def osv_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OSV)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    server.shutdown()
    server.server_close()
    thread.join()


def audit(requirements: Path, osv_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "audit.sh"), str(requirements)],
        env=dict(os.environ) | {"AUDIT_OSV_URL": osv_url},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_deliberately_vulnerable_pin_fails_the_audit(tmp_path, osv_url):
    """ASVS V14.2.1: django==4.2.0 carries CVE-2023-31047; the audit says so and fails."""
    pinned = tmp_path / "requirements.txt"
    pinned.write_text("django==4.2.0\nsqlparse==0.5.3\n")
    done = audit(pinned, osv_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "CVE-2023-31047" in done.stdout
    assert "4.2.1" in done.stdout  # the version that fixes it


def test_the_fixed_release_passes_the_audit(tmp_path, osv_url):
    """The gate opens again once the pin is raised to the fixed release."""
    pinned = tmp_path / "requirements.txt"
    pinned.write_text("django==4.2.1\nsqlparse==0.5.3\n")
    done = audit(pinned, osv_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No known vulnerabilities found" in done.stdout + done.stderr
