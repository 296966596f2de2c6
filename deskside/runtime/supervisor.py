"""`deskside run`: the whole desk as one supervised group of processes.

Each part runs in its own process: a crash in one is seen, reported and ends the desk, instead
of leaving a half-working desk behind. Nothing is restarted silently: an operator's service
manager (systemd, a container runtime) decides about restarts and sees the exit code.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from django.conf import settings

from deskside.config import HostPort
from deskside.mail.imap import describe as describe_mailbox
from deskside.runtime import logs
from deskside.runtime.latency import MULTIPROCESS_DIR

STOP_TIMEOUT = 15.0
# How long the listening parts may take to accept connections (gunicorn alone retries a busy
# port for about five seconds before it gives up).
READY_TIMEOUT = 60.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
log = logging.getLogger("deskside.run")


@dataclass(frozen=True)
class Part:
    name: str
    argv: list[str]
    where: str
    listens: HostPort | None = None
    env: dict[str, str] = field(default_factory=dict)


def say(text: str, *, error: bool = False) -> None:
    """A line for the operator: printed as it is, or with DESKSIDE_LOG_FORMAT=json a log record
    like every other line of the desk."""
    if settings.DESKSIDE_LOG_FORMAT == "json":
        log.log(logging.ERROR if error else logging.INFO, text.strip())
        return
    print(text, file=sys.stderr if error else sys.stdout, flush=True)


def node() -> str:
    """This node's name in the task results' worker ids (host and supervisor pid), so that an
    operator with two nodes sees which one ran a task."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}"


def prepare_run_folder(folder: Path) -> None:
    """What the web part needs in the folder of this run: gunicorn's logging (in the desk's
    format) and an empty folder where its workers keep the latency histogram."""
    config = logs.gunicorn_config(
        settings.DESKSIDE_LOG_FORMAT, access_log=settings.DESKSIDE_ACCESS_LOG
    )
    (folder / "gunicorn-logging.json").write_text(json.dumps(config))
    (folder / "metrics").mkdir()


def parts(run_folder: Path | None = None) -> list[Part]:
    """The parts of the desk; with `run_folder` (see prepare_run_folder) gunicorn logs in the
    desk's format and its workers share one latency histogram."""
    deskside = [sys.executable, "-m", "deskside.cli"]
    http = settings.DESKSIDE_HTTP
    base = f"http://{http}"
    return [
        Part(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "deskside.wsgi:application",
                "--bind",
                str(http),
                "--workers",
                str(settings.DESKSIDE_WORKERS),
                "--graceful-timeout",
                "10",
                # gunicorn believes X-Forwarded-Proto (https) from these proxies only.
                "--forwarded-allow-ips",
                ",".join(str(network) for network in settings.DESKSIDE_TRUSTED_PROXIES),
                "--log-level",
                "warning",
                *_web_logging(run_folder),
            ],
            f"{base}/  (desk {base}/desk/, portal {base}/portal/, admin {base}/admin/)",
            listens=http,
            env={MULTIPROCESS_DIR: str(run_folder / "metrics")} if run_folder else {},
        ),
        Part(
            "worker",
            [*deskside, "worker", "--worker-id", node()],
            "task worker (woken as tasks are enqueued)",
        ),
        Part(
            "scheduler",
            [*deskside, "scheduler"],
            "periodic scheduler (clocks, reminders, mail retries)",
        ),
        Part(
            "smtp",
            [*deskside, "smtpd"],
            f"smtp://{settings.DESKSIDE_SMTPD}",
            listens=settings.DESKSIDE_SMTPD,
        ),
        *_imap_parts(deskside),
    ]


def _web_logging(run_folder: Path | None) -> list[str]:
    if run_folder is not None:
        return ["--log-config-json", str(run_folder / "gunicorn-logging.json")]
    return ["--access-logfile", "-"] if settings.DESKSIDE_ACCESS_LOG else []


def _imap_parts(deskside: list[str]) -> list[Part]:
    """The IMAP poller runs only when a mailbox is configured; its password is never shown."""
    if settings.DESKSIDE_IMAP is None:
        return []
    return [Part("imap", [*deskside, "imap_poll"], describe_mailbox(settings.DESKSIDE_IMAP))]


class Supervisor:
    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        busy = [
            f"{part.name} cannot listen on {part.listens}: {error}"
            for part, error in _busy(self.parts)
        ]
        if busy:
            for line in busy:
                say(f"deskside: {line}", error=True)
            say("deskside: nothing was started.", error=True)
            return 1
        die_with_us = _dies_with(os.getpid())
        for part in self.parts:
            env = {**os.environ, **part.env} if part.env else None
            self.procs[part.name] = subprocess.Popen(part.argv, env=env, preexec_fn=die_with_us)
            say(f"  {part.name:<10} {part.where}")
        # "Running" only once its doors answer: a part that fails to start ends the desk first.
        failed = self._wait_until_listening()
        if failed is None and not self.stopping:
            say("Deskside is running. Press Ctrl-C to stop.")
            failed = self._watch()
        self._stop_all()
        if failed:
            say(f"deskside: {failed} stopped unexpectedly; the whole desk was stopped.", error=True)
            return 1
        say("Deskside stopped.")
        return 0

    def _wait_until_listening(self) -> str | None:
        """None once every listening part accepts connections; else the part that failed."""
        waiting = [part for part in self.parts if part.listens is not None]
        deadline = time.monotonic() + READY_TIMEOUT
        while waiting and not self.stopping:
            exited = self._exited()
            if exited is not None:
                return exited
            waiting = [part for part in waiting if not _accepts(part.listens)]
            if waiting and time.monotonic() > deadline:
                late = waiting[0]
                say(
                    f"deskside: {late.name} did not listen on {late.listens} within "
                    f"{READY_TIMEOUT:.0f} s",
                    error=True,
                )
                return late.name
            time.sleep(0.1)
        return None

    def _watch(self) -> str | None:
        while not self.stopping:
            exited = self._exited()
            if exited is not None:
                return exited
            time.sleep(0.2)
        return None

    def _exited(self) -> str | None:
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None:
                say(f"deskside: {name} exited with code {code}", error=True)
                return name
        return None

    def _stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()  # the part ignored SIGTERM for too long; do not leave it behind
                proc.wait()


def _dies_with(supervisor: int) -> Callable[[], None] | None:
    """What each part runs between fork and exec so that it gets SIGTERM when the supervisor
    dies, however it dies; None where the system has no parent-death signal.

    A supervisor killed with SIGKILL runs no code, so its parts must learn of its death without
    it. Linux's parent-death signal (prctl PR_SET_PDEATHSIG) is sent by the kernel and survives
    exec, so it needs nothing from the parts; a pipe that each part watches would need a thread
    in every command and a hook in gunicorn, and fails in a part that closes inherited files.
    SIGTERM makes a part stop as it does on Ctrl-C: gunicorn's master stops its own workers (a
    forked worker does not inherit the setting), the task worker finishes its task first.
    The kernel sends it when the thread that started the part ends: only the supervisor's main
    thread starts parts, and the supervisor starts no other thread, which also keeps running
    Python between fork and exec safe. Elsewhere than on Linux only a living supervisor stops
    its parts.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up now: the child only calls it

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != supervisor:
            os._exit(1)  # the supervisor died before the signal was armed: it will never come

    return arm


def _busy(parts: list[Part]) -> list[tuple[Part, OSError]]:
    """The parts whose address cannot be bound now (another program listens there): found
    before anything starts, since a connection test cannot tell that program from ours. Every
    address a name resolves to is tried, and the probes stay open until all are done, so two
    parts given the same port are caught too."""
    busy = []
    with contextlib.ExitStack() as held:
        for part in parts:
            if part.listens is None:
                continue
            try:
                for family, kind, proto, _, address in socket.getaddrinfo(
                    part.listens.host, part.listens.port, type=socket.SOCK_STREAM
                ):
                    probe = held.enter_context(socket.socket(family, kind, proto))
                    # As the servers bind: a port left in TIME_WAIT by a stopped desk is free.
                    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    probe.bind(address)
                    probe.listen()  # a listening probe is what makes a second bind fail
            except OSError as error:
                busy.append((part, error))
    return busy


def _accepts(address: HostPort | None) -> bool:
    """Whether a TCP connection to `address` succeeds (a wildcard address is tried locally)."""
    if address is None:
        return True
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(address.host, address.host)
    try:
        with socket.create_connection((host, address.port), timeout=0.5):
            return True
    except OSError:
        return False
