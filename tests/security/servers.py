"""The real web server for the security tests: gunicorn, started with the very arguments that
`deskside run` gives it (runtime/supervisor.py), on a data directory of its own.

A prepared database (migrated once per session, with an agent `alice`) is copied for each
server, so that every test starts from the same rows. Every server is stopped when its test
ends, and the test fails if a process of its data directory is still alive then (as in
tests/runtime/conftest.py).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.runtime.processes import command, deskside, using_data_under, wait_until_gone

SECRET = "a-test-secret-key-that-is-long-enough-for-check-deploy-0123456789"
_WEB_ARGV = (
    "import json, django; django.setup(); "
    "from deskside.runtime.supervisor import parts; "
    "print(json.dumps(next(p.argv for p in parts() if p.name == 'web')))"
)
_SEED = (
    "from django.contrib.auth.models import Group, User; "
    "from deskside.accounts.roles import sync_role_groups; sync_role_groups(); "
    "u = User.objects.create_user('alice', 'alice@ccs2.test', 'pw-alice'); "
    "u.groups.add(Group.objects.get(name='agent'))"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(data: Path, port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ) | {
        "DESKSIDE_DATA_DIR": str(data),
        "DESKSIDE_HTTP": f"127.0.0.1:{port}",
        "DESKSIDE_WEB_WORKERS": "1",
        "SECRET_KEY": SECRET,
        "DEBUG": "false",
    }
    env.pop("DESKSIDE_REQUIRE_POSTGRES", None)
    env.pop("DATABASE_URL", None)
    # The browser tests set it for Playwright in this process; a desk of its own never has it
    # (and `check --deploy` rightly refuses it).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env | extra


def prepare(folder: Path) -> Path:
    """A migrated data directory with the agent alice; made once, copied for each server."""
    data = folder / "prepared"
    env = environment(data, free_port())
    for args in (("migrate", "-v0"), ("shell", "--no-imports", "-c", _SEED)):
        done = deskside(env, *args)
        assert done.returncode == 0, done.stderr
    return data


class Web:
    """gunicorn serving Deskside on 127.0.0.1:<port>, one worker."""

    def __init__(self, prepared: Path, folder: Path, **settings: str) -> None:
        self.port = free_port()
        self.data = folder / "data"
        shutil.copytree(prepared, self.data)
        self.env = environment(self.data, self.port, **settings)
        argv = json.loads(deskside(self.env, "shell", "--no-imports", "-c", _WEB_ARGV).stdout)
        self.log = folder / "web.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.monotonic() < deadline, self.log.read_text()
                time.sleep(0.2)

    def worker(self) -> int:
        """The pid of gunicorn's one worker (the process that reads requests)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return int(children.split()[0])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        left = wait_until_gone(set(using_data_under(self.data.parent)), 10)
        for pid in left:
            os.kill(pid, 9)
        assert not left, "processes left behind: " + ", ".join(command(pid) for pid in left)


class Answer:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """Each Set-Cookie line by cookie name."""
        lines = [v for k, v in self.headers if k.lower() == "set-cookie"]
        return {line.split("=", 1)[0]: line for line in lines}


def fetch(
    web: Web,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str = "127.0.0.1",
) -> Answer:
    """One request from `source` (127.0.0.1 is the trusted proxy of the default settings;
    127.0.0.2 is a client on the Internet, for the server's eyes)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", web.port, timeout=30, source_address=(source, 0)
    )
    try:
        connection.request(method, path, body=body, headers={"Host": "localhost"} | (headers or {}))
        response = connection.getresponse()
        return Answer(response.status, response.getheaders(), response.read())
    finally:
        connection.close()
