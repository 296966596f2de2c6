"""OAuth 2.0 for Gmail (XOAUTH2): the refresh token in the data folder, access tokens from it.

Google gives a mailbox program two kinds of token. The refresh token, obtained once by a person
who consents (`deskside gmail connect`, docs/gmail.md), lasts until revoked; it is kept with the
client id and secret in DATA_DIR/gmail-oauth.json, mode 0600, like the secret key. An access
token lasts about an hour; it is asked of the token endpoint when the stored one expired or a
server refused it, and written back to the file, so that every process of the desk shares it and
a renewal never needs a restart.

A refresh token the endpoint refused (revoked, expired, wrong client) stays refused: the refusal
is recorded in the file, every later attempt fails at once with that sentence instead of asking
Google again, and the readiness answer shows it (`problem()`), until a lead connects anew.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from django.conf import settings

CREDENTIALS_FILE = "gmail-oauth.json"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_CONSENT_URL = "https://accounts.google.com/o/oauth2/v2/auth"
# The one scope that lets a program read and send over IMAP and SMTP (Google's XOAUTH2 guide).
SCOPE = "https://mail.google.com/"
# Renew a minute early: a token that expires between reading it and the server checking it
# would fail a sign-in for nothing.
EXPIRY_MARGIN = 60.0
TIMEOUT = 20.0
# The endpoint's answers that mean the refresh token (or the client) will never work again
# (RFC 6749 §5.2); any other failure is temporary and retried.
_PERMANENT = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
# A port nothing listens on: the code is read from the address bar, not received (consent_url).
REDIRECT_URI = "http://127.0.0.1:53682/"
RECONNECT = "run `deskside gmail connect` (docs/gmail.md)"


class OAuthError(Exception):
    """No access token now: the endpoint could not be reached or answered badly. Retried."""


class RefreshTokenRefused(OAuthError):
    """The token endpoint refused the refresh token: only a lead can fix it."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str
    access_token: str = ""
    expires_at: float = 0.0  # Unix time
    refused: str = ""  # why the endpoint refused the refresh token; empty while it works


def credentials_path() -> Path:
    return Path(settings.DATA_DIR) / CREDENTIALS_FILE


def token_url() -> str:
    return str(getattr(settings, "DESKSIDE_OAUTH_TOKEN_URL", GOOGLE_TOKEN_URL))


def load(path: Path | None = None) -> Credentials:
    path = path or credentials_path()
    try:
        data = json.loads(path.read_text())
        return Credentials(**data)
    except FileNotFoundError:
        raise OAuthError(f"no Gmail OAuth credentials in {path}: {RECONNECT}") from None
    except (OSError, ValueError, TypeError) as error:
        raise OAuthError(f"{path} cannot be read ({error}): {RECONNECT}") from None


def save(credentials: Credentials, path: Path | None = None) -> None:
    """Write the file whole or not at all, readable by its owner only: a reader in another
    process sees the old or the new file, never half of one."""
    path = path or credentials_path()
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # O_CREAT's mode does not apply to a leftover file
        json.dump(asdict(credentials), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def access_token(*, renew: bool = False) -> str:
    """A valid access token: the stored one while it lasts, else (or with `renew`, after a
    server refused it) a new one from the refresh token."""
    credentials = load()
    if not renew and credentials.access_token and credentials.expires_at > _now() + EXPIRY_MARGIN:
        return credentials.access_token
    return renewed(credentials).access_token


def renewed(credentials: Credentials) -> Credentials:
    """Ask the endpoint for an access token and store it; a refusal is stored too."""
    if credentials.refused:
        raise RefreshTokenRefused(f"{credentials.refused}: {RECONNECT}")
    try:
        answer = request_token(
            grant_type="refresh_token",
            refresh_token=credentials.refresh_token,
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
        )
    except RefreshTokenRefused as refused:
        _save_unless_reconnected(
            credentials, replace(credentials, access_token="", expires_at=0.0, refused=str(refused))
        )
        raise RefreshTokenRefused(f"{refused}: {RECONNECT}") from None
    fresh = with_token(credentials, answer)
    _save_unless_reconnected(credentials, fresh)
    return fresh


def _save_unless_reconnected(read: Credentials, new: Credentials) -> None:
    """A lead may have run `deskside gmail connect` while this process asked the endpoint:
    their new refresh token wins over what this process learnt about the old one."""
    if load().refresh_token == read.refresh_token:
        save(new)


def with_token(credentials: Credentials, answer: dict[str, object]) -> Credentials:
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise OAuthError(f"the token endpoint {token_url()} answered without an access_token")
    lifetime = answer.get("expires_in", 3600)
    return replace(
        credentials,
        access_token=token,
        expires_at=_now() + float(lifetime if isinstance(lifetime, int | float | str) else 3600),
        # Google keeps the refresh token; an endpoint that rotates it sends the new one.
        refresh_token=str(answer.get("refresh_token") or credentials.refresh_token),
        refused="",
    )


def request_token(**form: str) -> dict[str, object]:
    """POST a grant to the token endpoint (RFC 6749 §4.1.3, §6) and return its JSON answer."""
    url = token_url()
    body = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return _json(url, response.read())
    except urllib.error.HTTPError as error:
        raise _refusal(url, error.code, error.read()) from None
    except (OSError, TimeoutError) as error:  # URLError is an OSError: no answer at all
        raise OAuthError(f"the token endpoint {url} did not answer: {error}") from None


def _refusal(url: str, status: int, body: bytes) -> OAuthError:
    try:
        answer = _json(url, body)
    except OAuthError:
        answer = {}
    code = str(answer.get("error", f"HTTP {status}"))
    description = answer.get("error_description")
    said = f"{code} ({description})" if description else code
    if code in _PERMANENT:
        return RefreshTokenRefused(f"the token endpoint {url} refused the refresh token: {said}")
    return OAuthError(f"the token endpoint {url} answered {status}: {said}")


def _json(url: str, body: bytes) -> dict[str, object]:
    try:
        answer = json.loads(body)
    except ValueError:
        raise OAuthError(f"the token endpoint {url} answered with something not JSON") from None
    if not isinstance(answer, dict):
        raise OAuthError(f"the token endpoint {url} answered with something not a JSON object")
    return answer


def consent_url(client_id: str) -> str:
    """Where a lead consents to Deskside reading and sending the mailbox's mail. Google ended
    the copy-the-code page in 2022; a Desktop client may name any loopback address instead, and
    the browser, sent there, shows the code in its address bar even when nothing answers."""
    query = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
        # offline: a refresh token; consent: a new one even for an account that consented before.
        "access_type": "offline",
        "prompt": "consent",
    }
    return f"{GOOGLE_CONSENT_URL}?{urllib.parse.urlencode(query)}"


def code_from(pasted: str) -> str:
    """The authorization code from what the lead pasted: the whole address or only the code."""
    pasted = pasted.strip()
    if "code=" not in pasted:
        return pasted
    codes = urllib.parse.parse_qs(urllib.parse.urlsplit(pasted).query).get("code", [""])
    return codes[0]


def connect(
    client_id: str, client_secret: str, *, refresh_token: str = "", code: str = ""
) -> Credentials:
    """Check the client and the grant against the endpoint, then store them (mode 0600):
    nothing is stored that the endpoint refused."""
    base = Credentials(client_id, client_secret, refresh_token)
    if code:
        answer = request_token(
            grant_type="authorization_code",
            code=code,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=REDIRECT_URI,
        )
        if not answer.get("refresh_token"):
            raise OAuthError(
                "the token endpoint gave no refresh token: revoke Deskside's access "
                "in the Google account and connect again"
            )
    else:
        answer = request_token(
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
        )
    credentials = with_token(base, answer)
    save(credentials)
    return credentials


def xoauth2(user: str, token: str) -> str:
    """The XOAUTH2 sign-in string (Google's "OAuth 2.0 Mechanism"), before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def problem() -> str:
    """Why Gmail sign-in cannot work now, for the readiness answer; empty when it can."""
    try:
        credentials = load()
    except OAuthError as error:
        return str(error)
    if credentials.refused:
        return f"{credentials.refused}: {RECONNECT}"
    return ""


def _now() -> float:
    return time.time()
