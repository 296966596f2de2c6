"""Deskside settings: read once, from the environment (README lists every variable).

Business rules (levels, clocks, calendar) are data in the database, not settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import dj_database_url
from django.utils.csp import CSP

from deskside.config import (
    ConfigError,
    base_url,
    data_dir,
    env_bool,
    env_choice,
    env_email,
    env_host_port,
    env_int,
    env_list,
    env_networks,
    env_str,
    parse_mail_url,
    secret_key,
    url_like,
    with_auth,
)
from deskside.runtime import logs

# Read, never created here (deskside.config.prepare() does that when a process starts).
DATA_DIR = data_dir()
SECRET_KEY = secret_key("SECRET_KEY", DATA_DIR)
DEBUG = env_bool("DEBUG", False)
# Reverse proxies whose X-Forwarded-For (the client's address, for the sign-in rate limit) and
# X-Forwarded-Proto (https) are believed; from anyone else these headers are the client's own
# words. Loopback by default: a proxy on the same machine, as gunicorn itself assumes.
DESKSIDE_TRUSTED_PROXIES = env_networks("DESKSIDE_TRUSTED_PROXIES", "127.0.0.1,::1")

DESKSIDE_HTTP = env_host_port("DESKSIDE_HTTP", "127.0.0.1:8000")
# Where people reach the desk and the portal: every link in a mail starts with it.
DESKSIDE_BASE_URL = base_url("DESKSIDE_BASE_URL", DESKSIDE_HTTP, debug=DEBUG)
# The host people reach the desk at is always one it answers to.
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS",
    list(
        dict.fromkeys(
            ["localhost", "127.0.0.1", "[::1]", urlsplit(DESKSIDE_BASE_URL).hostname or ""]
        )
    ),
)
DESKSIDE_SMTPD = env_host_port("DESKSIDE_SMTPD", "127.0.0.1:2525")
DESKSIDE_SUPPORT_ADDRESS = env_email("DESKSIDE_SUPPORT_ADDRESS", "support@deskside.localhost")
# The authserv-id of our own MTA (or mailbox provider: Gmail's is mx.google.com): only its
# Authentication-Results fields are believed (RFC 8601 §5, deskside/mail/authresults.py).
DESKSIDE_AUTHSERV_ID = env_str("DESKSIDE_AUTHSERV_ID", "").strip()
if DESKSIDE_AUTHSERV_ID and not re.fullmatch(r"[A-Za-z0-9.\-_]+", DESKSIDE_AUTHSERV_ID):
    raise ConfigError(
        f"DESKSIDE_AUTHSERV_ID={DESKSIDE_AUTHSERV_ID!r} must be a host name such as mx.example.com"
    )
DESKSIDE_REF_PREFIX = env_str("DESKSIDE_REF_PREFIX", "CCS").strip().upper()
if not DESKSIDE_REF_PREFIX.isalnum():
    raise ConfigError(f"DESKSIDE_REF_PREFIX={DESKSIDE_REF_PREFIX!r} must be letters and digits")
DESKSIDE_IMAP = (
    with_auth(
        "DESKSIDE_IMAP_AUTH",
        parse_mail_url(
            "DESKSIDE_IMAP_URL",
            env_str("DESKSIDE_IMAP_URL", ""),
            {"imap": 143, "imaps": 993, "imap+starttls": 143},
        ),
        "DESKSIDE_IMAP_URL",
    )
    if env_str("DESKSIDE_IMAP_URL", "")
    else None
)
# Where Gmail's OAuth access tokens are renewed (deskside/oauth.py); tests name a local fake.
DESKSIDE_OAUTH_TOKEN_URL = url_like(
    "DESKSIDE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token"
)
# Where the IMAP poller moves a mail once it is safely stored and processed.
DESKSIDE_IMAP_PROCESSED_FOLDER = env_str("DESKSIDE_IMAP_PROCESSED_FOLDER", "Deskside/Processed")
DESKSIDE_WORKERS = env_int("DESKSIDE_WEB_WORKERS", 2, minimum=1)
# /metrics answers this bearer token from any address; without it, this machine only.
# A webhook endpoint that has failed without a success for this long is paused, its owner told.
DESKSIDE_WEBHOOK_PAUSE_AFTER_DAYS = env_int("DESKSIDE_WEBHOOK_PAUSE_AFTER_DAYS", 3, minimum=1)
# Webhooks to loopback, private and link-local addresses (a receiver on the same network): off,
# so that a webhook cannot be aimed at the machine's own services or a cloud's metadata.
DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES = env_bool("DESKSIDE_WEBHOOK_PRIVATE_ADDRESSES", False)
DESKSIDE_METRICS_TOKEN = env_str("DESKSIDE_METRICS_TOKEN", "")
if 0 < len(DESKSIDE_METRICS_TOKEN) < 32:
    raise ConfigError("DESKSIDE_METRICS_TOKEN is too short: use at least 32 random characters")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "django_htmx",
    "deskside.core",
    "deskside.accounts",
    "deskside.outbox",
    "deskside.webhooks",
    "deskside.tickets",
    "deskside.mail",
    "deskside.onsite",
    "deskside.docs",
    "deskside.reports",
    "deskside.runtime",
    "deskside.desk",
    "deskside.portal",
    "deskside.api",
]

MIDDLEWARE = [
    # First: it times everything below it (deskside/runtime/latency.py).
    "deskside.runtime.latency.RequestLatency",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses too large a body unread, before the CSRF check (process_view) reads it.
    "deskside.runtime.request_limits.BoundedBodies",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# No inline script or style anywhere: what mail HTML might smuggle in cannot run.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
}

ROOT_URLCONF = "deskside.urls"
WSGI_APPLICATION = "deskside.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [Path(__file__).parent / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    default = f"sqlite:///{DATA_DIR / 'deskside.sqlite3'}"
    url = env_str("DATABASE_URL", default)
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    except Exception as error:  # the parser raises several types for one cause: a bad URL
        raise ConfigError(f"DATABASE_URL={url!r} is not a database URL: {error}") from None
    engine = str(config["ENGINE"])
    if engine.endswith("sqlite3"):
        # Django's backend, with the writers of all processes queued (deskside/sqlite/base.py).
        config["ENGINE"] = "deskside.sqlite"
        config["CONN_MAX_AGE"] = 0
        # Web, worker and intake share one file: WAL lets readers run beside the writer, the busy
        # timeout waits for the lock, and IMMEDIATE takes the write lock at BEGIN so that two
        # writers never deadlock upgrading a read lock ("database is locked").
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif engine.endswith("postgresql"):
        # Server-side binding lets psycopg prepare a statement the fifth time it runs: the
        # intake and the queue run the same few statements all day, and PostgreSQL then skips
        # parsing and planning them.
        # Added to what the URL says (?sslmode=require, ...), never in place of it.
        from_url = config.get("OPTIONS")
        config["OPTIONS"] = {
            "server_side_binding": True,
            **(from_url if isinstance(from_url, dict) else {}),
        }
    else:
        raise ConfigError(f"DATABASE_URL={url!r}: Deskside runs on SQLite or PostgreSQL only")
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _email() -> dict[str, object]:
    url = env_str("EMAIL_URL", "")
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(DATA_DIR / "sent-mail"),
        }
    server = with_auth(
        "EMAIL_AUTH",
        parse_mail_url(
            "EMAIL_URL", url, {"smtp": 25, "smtp+tls": 587, "smtps": 465, "smtp+ssl": 465}
        ),
        "EMAIL_URL",
    )
    return {
        "EMAIL_BACKEND": "deskside.outbox.smtp.XOAuth2EmailBackend"
        if server.auth == "xoauth2"
        else "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": server.host,
        "EMAIL_PORT": server.port,
        "EMAIL_HOST_USER": server.username,
        "EMAIL_HOST_PASSWORD": server.password,
        "EMAIL_USE_TLS": server.scheme == "smtp+tls",
        "EMAIL_USE_SSL": server.scheme in ("smtps", "smtp+ssl"),
        "EMAIL_TIMEOUT": 30,
    }


globals().update(_email())
DEFAULT_FROM_EMAIL = DESKSIDE_SUPPORT_ADDRESS
SERVER_EMAIL = DESKSIDE_SUPPORT_ADDRESS

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# A bare domain in a mail or a page ("www.example.com") becomes an https:// link, as Django
# will by default (RemovedInDjango2028Warning).
URLIZE_ASSUME_HTTPS = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("fr", "Français"), ("de", "Deutsch")]
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
FORMAT_MODULE_PATH = "deskside.formats"  # dates in the reader's language (formats/)
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [Path(__file__).parent / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "files"
WHITENOISE_USE_FINDERS = True

# The roles come with the user (one query fewer on every desk page); ModelBackend still reads
# the sessions signed in before this backend existed.
AUTHENTICATION_BACKENDS = [
    "deskside.accounts.backends.RolesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/desk/login/"
LOCALE_PATHS = [Path(__file__).parent / "locale"]
LANGUAGE_COOKIE_NAME = "deskside_language"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: a link in a mail (to a ticket, a sign-in link) is a visit from another site,
# which Strict would send without the session; Lax still keeps the cookies off other sites' POSTs.
SESSION_COOKIE_SAMESITE: Literal["Lax"] = "Lax"
CSRF_COOKIE_SAMESITE: Literal["Lax"] = "Lax"
LANGUAGE_COOKIE_SAMESITE: Literal["Lax"] = "Lax"

# HTTPS, when people reach the desk over it (DESKSIDE_BASE_URL): browsers are told to come back
# over https only (HSTS), plain http is redirected, and no cookie travels in clear text. Whether
# a request came over https is gunicorn's word (wsgi.url_scheme), which believes
# X-Forwarded-Proto only from DESKSIDE_TRUSTED_PROXIES (--forwarded-allow-ips in
# runtime/supervisor.py). SECURE_PROXY_SSL_HEADER stays unset: Django would believe the header
# from anyone.
HTTPS = DESKSIDE_BASE_URL.startswith("https://")
SECURE_SSL_REDIRECT = HTTPS
# A load balancer's check, a readiness probe and a scraper on this machine may come over
# plain http (/metrics has its own rule: deskside/runtime/metrics.py).
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^health/ready$", r"^metrics$"]
SECURE_HSTS_SECONDS = env_int("DESKSIDE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DESKSIDE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DESKSIDE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
# Preloading binds the whole registrable domain for months and is the domain owner's decision;
# DESKSIDE_HSTS_PRELOAD answers check --deploy's reminder of it (security.W021) either way.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Quiet by default: a line per mail processed and per error (deskside/runtime/logs.py).
DESKSIDE_LOG_FORMAT: Literal["plain", "json"] = (
    "json" if env_choice("DESKSIDE_LOG_FORMAT", "plain", ("plain", "json")) == "json" else "plain"
)
DESKSIDE_LOG_LEVEL = env_choice("DESKSIDE_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"))
DESKSIDE_ACCESS_LOG = env_bool("DESKSIDE_ACCESS_LOG", False)
LOGGING = logs.django_config(DESKSIDE_LOG_FORMAT, DESKSIDE_LOG_LEVEL)
