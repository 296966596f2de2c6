"""A real webhook receiver for the tests: an HTTP server on loopback, in a thread, that checks
every signature with the Standard Webhooks reference library (`standardwebhooks`), not with
Deskside's code, and answers as a test tells it (200, 503, a redirect, silence)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    payload: Any  # the JSON body, when its signature verified; None otherwise
    verified: bool
    answered: int


class Receiver:
    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.status = 200
        self.location = ""  # for a 3xx answer
        self.delay = 0.0  # seconds before answering
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver._take(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() again (on the same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = None, False
        if self.delay:
            time.sleep(self.delay)
        status = self.status if verified else 401
        with self._lock:
            self.received.append(
                Received(headers.get("webhook-id", ""), headers, body, payload, verified, status)
            )
        handler.send_response(status)
        if self.location:
            handler.send_header("Location", self.location)
        answer = json.dumps({"ok": 200 <= status < 300}).encode()
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        # A caller that gave up waiting (a test of the timeout) has closed the connection.
        with contextlib.suppress(BrokenPipeError):
            handler.wfile.write(answer)

    def wait_for(self, count: int, seconds: float = 5.0) -> None:
        """Until `count` requests were answered (a slow answer outlives the caller's wait)."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)

    def accepted(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.answered < 300]
