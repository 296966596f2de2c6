"""`deskside run`: the whole desk as one supervised group of processes.

Each part runs in its own process: a crash in one is seen, reported and ends the desk, instead
of leaving a half-working desk behind. Nothing is restarted silently: an operator's service
manager (systemd, a container runtime) decides about restarts and sees the exit code.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

from django.conf import settings

from deskside.mail.imap import describe as describe_mailbox

STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class Part:
    name: str
    argv: list[str]
    where: str


def parts() -> list[Part]:
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
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
            ],
            f"{base}/  (desk {base}/desk/, portal {base}/portal/, admin {base}/admin/)",
        ),
        Part(
            "worker",
            [*deskside, "db_worker", "--no-startup-delay", "--no-reload"],
            "task worker (database queue)",
        ),
        Part(
            "scheduler",
            [*deskside, "scheduler"],
            "periodic scheduler (clocks, reminders, mail retries)",
        ),
        Part("smtp", [*deskside, "smtpd"], f"smtp://{settings.DESKSIDE_SMTPD}"),
        *_imap_parts(deskside),
    ]


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
        for part in self.parts:
            self.procs[part.name] = subprocess.Popen(part.argv)
            print(f"  {part.name:<10} {part.where}", flush=True)
        print("Deskside is running. Press Ctrl-C to stop.", flush=True)
        failed = self._watch()
        self._stop_all()
        if failed:
            print(
                f"deskside: {failed} stopped unexpectedly; the whole desk was stopped.",
                file=sys.stderr,
                flush=True,
            )
            return 1
        print("Deskside stopped.", flush=True)
        return 0

    def _watch(self) -> str | None:
        while not self.stopping:
            for name, proc in self.procs.items():
                code = proc.poll()
                if code is not None:
                    print(f"deskside: {name} exited with code {code}", file=sys.stderr, flush=True)
                    return name
            time.sleep(0.2)
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
