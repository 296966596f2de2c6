"""A whole desk (`deskside run`) in a subprocess, for the runtime tests: started on free ports
with a data directory under the test's temporary folder, stopped as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.runtime.processes import command, descendants


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Desk:
    def __init__(
        self,
        folder: Path,
        smtp_port: int | None = None,
        env: dict[str, str] | None = None,
        data: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.smtp_port = smtp_port or free_port()
        folder.mkdir()
        self.data = data or folder / "data"
        extra = env or {}
        env = dict(os.environ) | {
            "DESKSIDE_DATA_DIR": str(self.data),
            "DESKSIDE_HTTP": f"127.0.0.1:{self.port}",
            "DESKSIDE_SMTPD": f"127.0.0.1:{self.smtp_port}",
            "DESKSIDE_ADMIN_PASSWORD": "correct horse battery",
            "DESKSIDE_WEB_WORKERS": "2",  # the number parts() waits for
        }
        env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
        env.update(extra)
        if env.get("DATABASE_URL") == "":  # asked for SQLite in the data directory
            del env["DATABASE_URL"]
        self.env = env
        self.log = folder / "run.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "deskside.cli", "run"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """As an operator would (SIGTERM); SIGKILL only if it does not listen."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def parts(self, web_workers: int = 2) -> set[int]:
        """Every process below the supervisor, once gunicorn has forked its workers."""
        deadline = time.monotonic() + 30
        while True:
            below = descendants(self.proc.pid)
            web = [pid for pid in below if "gunicorn" in command(pid)]
            if len(web) >= 1 + web_workers:
                return below
            assert time.monotonic() < deadline, f"gunicorn has {len(web)} processes:\n{below}"
            time.sleep(0.1)

    def output(self) -> str:
        return self.log.read_text()

    def wait_until_serving(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.output()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the web server never answered:\n" + self.output())

    def wait_for_output(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, f"never printed {text!r}:\n{self.output()}"
            time.sleep(0.05)

    def smtp_banner(self, timeout: float = 30) -> str:
        """The SMTP door's greeting; it may come up a moment after the web server."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=5) as conn:
                    return conn.makefile("rb").readline().decode()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.status, r.read().decode()

    def fetch(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """Like get(), with headers, and an error status returned rather than raised."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def start_desk(tmp_path) -> Iterator[Callable[..., Desk]]:
    """Start `deskside run`; every desk started is stopped when the test ends, passed or not
    (tests/runtime/conftest.py then checks that none of its processes is left)."""
    started: list[Desk] = []

    def start(
        smtp_port: int | None = None, env: dict[str, str] | None = None, data: Path | None = None
    ) -> Desk:
        started.append(Desk(tmp_path / f"desk-{len(started) + 1}", smtp_port, env, data))
        return started[-1]

    yield start
    for each in started:
        each.stop()


@pytest.fixture
def desk(start_desk: Callable[..., Desk]) -> Desk:
    return start_desk()


def send_mail(
    desk: Desk,
    subject: str,
    sender: str = "claire@acme.example",
    files: Mapping[str, bytes] | None = None,
) -> str:
    """One mail through the desk's SMTP door; returns its Message-ID. `files` attaches files
    (name: bytes)."""
    import smtplib
    from email.message import EmailMessage
    from email.utils import make_msgid

    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@deskside.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id = make_msgid(domain="client.example")
    msg.set_content("Hello, the export fails since this morning. Could you have a look? Thanks")
    for name, payload in (files or {}).items():
        msg.add_attachment(payload, maintype="application", subtype="octet-stream", filename=name)
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=30) as smtp:
        smtp.send_message(msg)
    return message_id.strip("<>")
