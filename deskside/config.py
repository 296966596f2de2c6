"""Typed readers for the environment, used once by settings.

Each reader names the variable and says what is wrong with a bad value, so that start-up fails
with a sentence instead of a traceback (README.md, Configuration).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


class ConfigError(Exception):
    """A configuration value that Deskside cannot start with."""


@dataclass(frozen=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class MailServer:
    scheme: str
    host: str
    port: int
    username: str
    password: str
    path: str
    auth: str = "password"  # or "xoauth2": Gmail's OAuth 2.0, the token from deskside/oauth.py


AUTH_METHODS = ("password", "xoauth2")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(
        f"{name}={raw!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0"
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, read without regard to case; the error lists them."""
    raw = os.environ.get(name, default)
    for choice in choices:
        if raw.strip().lower() == choice.lower():
            return choice
    raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str, default: str) -> tuple[Network, ...]:
    """Comma-separated addresses or networks: `127.0.0.1,10.0.0.0/8,::1`."""
    networks = []
    for item in env_list(name, default.split(",")):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return tuple(networks)


def env_email(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ConfigError(f"{name}={value!r} is not an e-mail address") from None
    return value.lower()


def parse_host_port(name: str, raw: str) -> HostPort:
    host, sep, port_text = raw.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host:
        raise ConfigError(f"{name}={raw!r} must be host:port, e.g. 127.0.0.1:8000")
    return HostPort(host, _port(name, raw, port_text))


def env_host_port(name: str, default: str) -> HostPort:
    return parse_host_port(name, os.environ.get(name, default))


def _port(name: str, raw: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{name}={raw!r} has no valid port (1-65535)")
    return int(text)


def parse_mail_url(name: str, raw: str, schemes: dict[str, int]) -> MailServer:
    """Parse scheme://user:pass@host:port/path; `schemes` maps each allowed scheme to its port."""
    parts = urlsplit(raw.strip())
    if parts.scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ConfigError(f"{name}={_redact(raw)!r} has an unknown scheme: use {allowed}")
    if not parts.hostname:
        raise ConfigError(f"{name}={_redact(raw)!r} names no host")
    try:
        port = parts.port or schemes[parts.scheme]
    except ValueError:
        raise ConfigError(f"{name}={_redact(raw)!r} has no valid port (1-65535)") from None
    return MailServer(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        path=unquote(parts.path.lstrip("/")),
    )


def with_auth(name: str, server: MailServer, url_name: str) -> MailServer:
    """The server with the sign-in method `name` says; XOAUTH2 signs in as the URL's user with a
    token instead of the URL's password, so the URL must name the user and needs no password."""
    auth = env_choice(name, "password", AUTH_METHODS)
    if auth == "xoauth2" and not server.username:
        raise ConfigError(
            f"{name}=xoauth2 needs the mailbox's address as the user of {url_name}, "
            "e.g. imaps://support%40example.com@imap.gmail.com/INBOX"
        )
    return replace(server, auth=auth)


def url_like(name: str, default: str) -> str:
    """An http(s) URL, such as an OAuth token endpoint."""
    raw = os.environ.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={raw!r} must be an http(s) URL, e.g. {default}")
    return raw


def _redact(raw: str) -> str:
    """Hide a password before a URL goes into an error message."""
    parts = urlsplit(raw)
    if parts.password:
        return raw.replace(f":{parts.password}@", ":***@")
    return raw


DATA_DIR_VARIABLE, DATA_DIR_DEFAULT = "DESKSIDE_DATA_DIR", "./var"
SECRET_KEY_VARIABLE, SECRET_KEY_FILE = "SECRET_KEY", "secret_key"


def data_dir(name: str = DATA_DIR_VARIABLE, default: str = DATA_DIR_DEFAULT) -> Path:
    """Where data lives. Only read here: `prepare()` creates it, so that importing the settings
    (mypy, an editor, a test collector) writes nothing."""
    return Path(os.environ.get(name, default)).expanduser().resolve()


def secret_key(name: str, directory: Path) -> str:
    """The SECRET_KEY from the environment, else the one `prepare()` generated into the data
    directory; empty when neither exists (Django then refuses to start, saying so)."""
    value = os.environ.get(name)
    if value is not None:
        if len(value) < 32:
            raise ConfigError(f"{name} is too short: use at least 32 random characters")
        return value
    path = directory / SECRET_KEY_FILE
    return path.read_text().strip() if path.exists() else ""


def prepare() -> None:
    """What every process that starts Deskside does before it reads the settings (the
    `deskside` command, the WSGI application, the test run, the benchmarks): create the data
    directory and its static folder, and generate the secret key once."""
    path = data_dir()
    try:
        (path / "static").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"{DATA_DIR_VARIABLE}={str(path)!r} cannot be created: {error.strerror}"
        ) from None
    if not os.access(path, os.W_OK):
        raise ConfigError(f"{DATA_DIR_VARIABLE}={str(path)!r} is not writable")
    if SECRET_KEY_VARIABLE in os.environ:
        return
    # O_EXCL: two processes starting together must not write two different keys.
    try:
        fd = os.open(path / SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(50))


_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(name: str, http: HostPort, *, debug: bool) -> str:
    """The public address of the web server, for links in mail: `https://desk.example.com`.

    Without the variable, the address `DESKSIDE_HTTP` listens on (a wildcard host becomes
    localhost). A link in a mail is followed from another machine, so plain http is refused
    unless the host is this machine or DEBUG is on: a sign-in link sent in clear text is a
    password sent in clear text."""
    raw = os.environ.get(name)
    if raw is None:
        host = "localhost" if http.host in ("0.0.0.0", "::", "") else http.host
        raw = f"http://{HostPort(host, http.port)}"
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"{name}={raw!r} must be http(s)://host[:port], e.g. https://desk.example.com"
        )
    if parts.query or parts.fragment or parts.username:
        raise ConfigError(f"{name}={raw!r} must have no user, query or fragment")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"{name}={raw!r} has no valid port (1-65535)") from None
    if parts.scheme == "http" and not debug and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"{name}={raw!r} must use https: links in mail are followed over the internet "
            "(plain http is allowed for a loopback host, or with DEBUG on)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
