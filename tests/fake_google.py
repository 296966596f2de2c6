"""A fake of Google's OAuth 2.0 side, on loopback: the token endpoint Deskside renews access
tokens at (DESKSIDE_OAUTH_TOKEN_URL), and the token check a mail server makes (Dovecot's oauth2
passdb GETs /tokeninfo?access_token=..., as Gmail checks a token internally).

It knows one client, its refresh tokens and the access tokens it issued, and counts every grant
it was asked for, so that a test can say exactly how often Deskside went to the endpoint."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "deskside-test.apps.googleusercontent.com"
CLIENT_SECRET = "client-secret"
REFRESH_TOKEN = "1//refresh-token"
MAILBOX = "support@example.test"


@dataclass
class Google:
    url: str = ""
    refresh_tokens: set[str] = field(default_factory=lambda: {REFRESH_TOKEN})
    codes: dict[str, str] = field(default_factory=dict)  # authorization code → refresh token
    access_tokens: set[str] = field(default_factory=set)
    grants: list[dict[str, str]] = field(default_factory=list)
    lifetime: int = 3599
    _serial: Iterator[int] = field(default_factory=itertools.count)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def tokeninfo_url(self) -> str:
        return f"{self.url}/tokeninfo?access_token="

    def renewals(self) -> int:
        return sum(1 for grant in self.grants if grant.get("grant_type") == "refresh_token")

    def revoke_access_tokens(self) -> None:
        """As Google does when a password changes: every access token stops working at once."""
        self.access_tokens.clear()

    def grant(self, form: dict[str, str]) -> tuple[int, dict[str, object]]:
        self.grants.append(form)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {
                "error": "invalid_client",
                "error_description": "The OAuth client was not found.",
            }
        refresh = self._refresh_token(form)
        if refresh is None:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        token = f"ya29.access-{next(self._serial)}"
        self.access_tokens.add(token)
        answer: dict[str, object] = {
            "access_token": token,
            "expires_in": self.lifetime,
            "token_type": "Bearer",
            "scope": "https://mail.google.com/",
        }
        if form.get("grant_type") == "authorization_code":
            answer["refresh_token"] = refresh
        return 200, answer

    def _refresh_token(self, form: dict[str, str]) -> str | None:
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            return token if token in self.refresh_tokens else None
        if form.get("grant_type") == "authorization_code" and form.get("redirect_uri"):
            refresh = self.codes.pop(form.get("code", ""), None)
            if refresh is not None:
                self.refresh_tokens.add(refresh)
            return refresh
        return None

    def tokeninfo(self, token: str) -> tuple[int, dict[str, object]]:
        if token in self.access_tokens:
            return 200, {"email": MAILBOX, "expires_in": self.lifetime}
        return 401, {"error": "invalid_token"}


def _handler(google: Google) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            self._answer(*google.grant(form) if self.path == "/token" else (404, {}))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            token = parse_qs(parts.query).get("access_token", [""])[0]
            self._answer(*google.tokeninfo(token) if parts.path == "/tokeninfo" else (404, {}))

        def _answer(self, status: int, answer: dict[str, object]) -> None:
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the test asserts on google.grants, not on an access log

    return Handler


@contextmanager
def running() -> Iterator[Google]:
    google = Google()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(google))
    google.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield google
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
