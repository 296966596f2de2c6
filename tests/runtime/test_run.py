"""`deskside run` starts the desk, serves pages, and stops with nothing left behind."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runtime.desks import free_port
from tests.runtime.processes import alive, command, descendants, wait_until_gone


def test_run_serves_the_admin_and_stops_cleanly(desk):
    desk.wait_until_serving()
    status, body = desk.get("/admin/login/")
    assert status == 200 and "Deskside" in body
    children = descendants(desk.proc.pid)
    assert len(children) >= 4  # web (with its workers), worker, scheduler, smtp
    out = desk.output()
    assert f"http://127.0.0.1:{desk.port}/" in out
    assert "worker" in out and "scheduler" in out
    assert f"smtp://127.0.0.1:{desk.smtp_port}" in out
    assert desk.smtp_banner().startswith("220 ")
    desk.proc.send_signal(signal.SIGTERM)
    assert desk.proc.wait(timeout=30) == 0, desk.output()
    assert "Deskside stopped." in desk.output()
    assert [pid for pid in children if alive(pid)] == []


def test_running_is_said_only_once_the_web_and_smtp_doors_answer(desk):
    desk.wait_for_output("Deskside is running.")
    # No retry: the moment the desk says it runs, both doors take a connection.
    with socket.create_connection(("127.0.0.1", desk.smtp_port), timeout=5) as conn:
        assert conn.makefile("rb").readline().startswith(b"220 ")
    status, _ = desk.get("/health")
    assert status == 200


def test_a_busy_smtp_port_stops_the_desk_before_it_says_it_runs(start_desk):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        busy = start_desk(smtp_port=squatter.getsockname()[1])
        assert busy.proc.wait(timeout=90) == 1
    out = busy.output()
    assert f"deskside: smtp cannot listen on 127.0.0.1:{busy.smtp_port}" in out
    assert "Address already in use" in out
    assert "nothing was started" in out
    assert "Deskside is running" not in out
    assert "Traceback" not in out


def test_a_part_that_dies_stops_the_whole_desk(desk):
    desk.wait_until_serving()
    worker = next(
        pid
        for pid in descendants(desk.proc.pid)
        if b"\0worker\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    children = descendants(desk.proc.pid)
    os.kill(worker, signal.SIGKILL)
    assert desk.proc.wait(timeout=30) == 1
    assert "worker stopped unexpectedly" in desk.output()
    assert [pid for pid in children if alive(pid)] == []


def test_a_supervisor_killed_outright_leaves_no_part_running(desk):
    desk.wait_for_output("Deskside is running.")
    parts = desk.parts()  # web, its two workers, worker, scheduler, smtp
    desk.proc.kill()  # SIGKILL: the supervisor cannot stop anything itself
    desk.proc.wait()
    left = wait_until_gone(parts, timeout=5)
    assert [command(pid) for pid in left] == []
    for port in (desk.port, desk.smtp_port):  # nothing holds the desk's doors any more
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


def test_a_part_whose_supervisor_died_while_it_started_does_not_run():
    from deskside.runtime.supervisor import _dies_with

    # Its parent is not the supervisor it was started for: that one died between fork and exec,
    # before the part could ask for the signal, which would then never come.
    part = subprocess.Popen(["sleep", "30"], preexec_fn=_dies_with(supervisor=os.getppid()))
    try:
        assert part.wait(timeout=5) == 1
    finally:
        part.kill()
        part.wait()


def test_first_run_creates_the_administrator(desk):
    desk.wait_until_serving()
    desk.proc.send_signal(signal.SIGINT)
    desk.proc.wait(timeout=30)
    env = dict(os.environ) | {"DESKSIDE_DATA_DIR": str(desk.data)}
    code = (
        "from django.contrib.auth import authenticate; "
        "print(bool(authenticate(username='admin', password='correct horse battery')))"
    )
    result = subprocess.run(
        [sys.executable, "-m", "deskside.cli", "shell", "--no-imports", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "True", result.stderr


def test_the_imap_part_runs_only_with_a_mailbox_and_never_shows_its_password(settings):
    from deskside.config import MailServer
    from deskside.runtime.supervisor import parts

    settings.DESKSIDE_IMAP = None
    assert [p.name for p in parts()] == ["web", "worker", "scheduler", "smtp"]
    settings.DESKSIDE_IMAP = MailServer(
        "imaps", "imap.gmail.com", 993, "support@example.com", "app-password", "INBOX"
    )
    imap = parts()[-1]
    assert imap.name == "imap" and imap.argv[-1] == "imap_poll"
    assert imap.where == "imaps://support@example.com@imap.gmail.com:993/INBOX"
    assert "app-password" not in " ".join([*imap.argv, imap.where])


def test_gunicorn_believes_forwarded_https_from_the_trusted_proxies_only(settings):
    import ipaddress

    from deskside.runtime.supervisor import parts

    settings.DESKSIDE_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)
    web = parts()[0].argv
    assert web[web.index("--forwarded-allow-ips") + 1] == "10.0.0.0/8"


def _part(name: str, host: str, port: int):
    from deskside.config import HostPort
    from deskside.runtime.supervisor import Part

    return Part(name, ["true"], f"{host}:{port}", listens=HostPort(host, port))


def test_the_port_check_finds_a_held_port_and_two_parts_on_one_port():
    from deskside.runtime.supervisor import _busy

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        held = squatter.getsockname()[1]
        free = free_port()
        found = _busy(
            [
                _part("web", "127.0.0.1", held),
                _part("smtp", "localhost", free),
                _part("lmtp", "127.0.0.1", free),
            ]
        )
    assert [(part.name, error.errno) for part, error in found] == [
        ("web", errno.EADDRINUSE),
        ("lmtp", errno.EADDRINUSE),
    ]
    assert _busy([_part("web", "localhost", free_port())]) == []
