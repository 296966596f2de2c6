"""The IMAP door: take each mail from the mailbox, store and process it, then move it away.

A mail leaves the folder only after its rows committed (docs/mail-doors.md, Gmail). If the move
fails after the commit, the next pass finds the mail again; `store()` recognises it and it is moved
without being processed twice. Exactly one poller works a mailbox: it holds a database lease,
renewed on every pass and before every mail, and any other poller stands by until the lease is free.
"""

from __future__ import annotations

import imaplib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from django.db import DatabaseError, close_old_connections
from imap_tools import BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted

from deskside import leases, oauth
from deskside.config import MailServer
from deskside.mail.intake import (
    Arrival,
    TemporaryFailure,
    batches,
    process,
    process_many,
    store_many,
)
from deskside.mail.models import Door, InboundStatus

log = logging.getLogger("deskside.mail.imap")

DEFAULT_PROCESSED_FOLDER = "Deskside/Processed"
# A node that dies hands its mailbox to a standby within LEASE_TTL + STANDBY_INTERVAL (35 s;
# docs/deploy.md, Two nodes); the holder renews three times within the lease's life.
LEASE_TTL = timedelta(seconds=30)
IDLE_TIMEOUT = 10.0  # re-issue IDLE, and renew the lease, well inside LEASE_TTL
POLL_INTERVAL = 10.0  # for servers without IDLE
STANDBY_INTERVAL = 5.0  # how often a standby poller asks for the lease
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
BATCH = 100  # mails per pass, so that a full mailbox does not starve the lease renewal
# Mails are stored and processed a batch at a time (intake.BATCH_SIZE); a batch is closed after
# this many seconds of fetching, so that a slow server delays neither the lease renewal (asked
# before each batch) nor the mails already fetched.
BATCH_SECONDS = 5.0
SOCKET_TIMEOUT = 60.0  # a dead connection raises instead of hanging the poller

_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


def folder_of(server: MailServer) -> str:
    return server.path or "INBOX"


def lease_name(server: MailServer) -> str:
    return f"imap:{server.username}@{server.host}/{folder_of(server)}"


def describe(server: MailServer) -> str:
    """The mailbox as a URL without its password, for logs and `deskside run`."""
    return f"{server.scheme}://{server.username}@{server.host}:{server.port}/{folder_of(server)}"


def connect(server: MailServer) -> BaseMailBox:
    client: BaseMailBox
    if server.scheme == "imaps":
        client = MailBox(server.host, server.port, timeout=SOCKET_TIMEOUT)
    elif server.scheme == "imap+starttls":
        client = MailBoxStartTls(server.host, server.port, timeout=SOCKET_TIMEOUT)
    else:
        client = MailBoxUnencrypted(server.host, server.port, timeout=SOCKET_TIMEOUT)
    sign_in(client, server)
    # Servers announce some capabilities (Dovecot: MOVE) only after login, and imaplib keeps
    # the list from before it: without this, a move would be a COPY, a delete and an EXPUNGE.
    _status, lines = client.client.capability()
    client.client.capabilities = tuple(lines[-1].decode("ascii").upper().split())
    return client


def sign_in(box: BaseMailBox, server: MailServer) -> None:
    if server.auth != "xoauth2":
        box.login(server.username, server.password, initial_folder=folder_of(server))
        return
    try:
        _xoauth2(box, server.username, oauth.access_token())
    except imaplib.IMAP4.error as refused:  # revoked, or expired before its time: renew once
        log.info("imap: the server refused the access token (%s); renewing it", refused)
        _xoauth2(box, server.username, oauth.access_token(renew=True))
    box.folder.set(folder_of(server))


def _xoauth2(box: BaseMailBox, user: str, token: str) -> None:
    """AUTHENTICATE XOAUTH2. imap-tools' xoauth2() sends the token again in answer to the
    error challenge a refusal comes with (Google's XOAUTH2 protocol); an empty line is the
    answer, after which the server says NO and imaplib raises."""
    signed = oauth.xoauth2(user, token).encode()
    box.client.authenticate("XOAUTH2", lambda challenge: b"" if challenge else signed)


@contextmanager
def connected(server: MailServer) -> Iterator[BaseMailBox]:
    box = connect(server)
    try:
        yield box
    finally:
        with suppress(Exception):  # the connection may be the thing that just broke
            box.logout()


# -- one pass ----------------------------------------------------------------------------------


def ensure_folder(box: BaseMailBox, name: str) -> str:
    """Create the folder if missing and return its name on this server. "/" in `name` is the
    hierarchy separator; servers differ (Gmail "/", Dovecot's Maildir "."), so it is translated."""
    selected = box.folder.get() or "INBOX"
    delimiters = [info.delim for info in box.folder.list("", selected)]
    server_name = name.replace("/", delimiters[0]) if delimiters and delimiters[0] else name
    if not box.folder.exists(server_name):
        box.folder.create(server_name)
    return server_name


def poll_once(
    box: BaseMailBox,
    processed_folder: str,
    *,
    limit: int = BATCH,
    still_leader: Callable[[], bool] = lambda: True,
) -> int:
    """Take up to `limit` mails from the selected folder; returns how many it looked at.
    `processed_folder` is the server's name for it (see `ensure_folder`)."""
    uids = box.uids("UNDELETED")[:limit]
    fetched = _fetched(box, uids)
    for group in batches(fetched, lambda mail: len(mail.raw), within=BATCH_SECONDS):
        if not still_leader():
            break
        take(box, group, processed_folder)
    return len(uids)


@dataclass(frozen=True)
class Fetched:
    uid: str
    raw: bytes
    received_at: datetime | None


def _fetched(box: BaseMailBox, uids: list[str]) -> Iterator[Fetched]:
    for uid in uids:
        fetched = fetch_raw(box, uid)
        if fetched is not None:  # else gone since the search (another client took it)
            yield Fetched(uid, *fetched)


def take(box: BaseMailBox, mails: list[Fetched], processed_folder: str) -> None:
    """Store the mails in one transaction and process them in a second, then move them away.
    If the database fails while processing, each is processed on its own: one that still fails
    stays in the mailbox for the next pass (stored; the next pass finds and finishes it)."""
    try:
        stored = store_many((Arrival(m.raw, m.received_at) for m in mails), door=Door.IMAP)
    except (DatabaseError, OSError) as error:  # the database or disk is down: nothing was stored
        log.warning("imap: %d mail(s) stay in the mailbox for the next pass: %s", len(mails), error)
        return
    except Exception:  # a bug: the traceback is what its fix needs
        log.exception("imap: %d mail(s) stay in the mailbox for the next pass", len(mails))
        return
    pending = [s for s in stored if s.inbound.status == InboundStatus.STORED]
    unfinished: set[int] = set()
    try:
        process_many(pending)
    except Exception as error:  # TemporaryFailure, or a bug: the batch was rolled back
        log.warning("imap: processing %d mail(s) one at a time: %s", len(pending), error)
        unfinished = {s.inbound.pk for s in pending if not _process_alone(s.inbound.pk)}
    done = [m.uid for m, s in zip(mails, stored, strict=True) if s.inbound.pk not in unfinished]
    if done:
        box.move(done, processed_folder)


def _process_alone(inbound_id: int) -> bool:
    try:
        process(inbound_id)
    except (TemporaryFailure, DatabaseError) as error:
        log.warning("imap: mail %s stays in the mailbox for the next pass: %s", inbound_id, error)
        return False
    except Exception:  # process() quarantines bad mail itself; this is a bug, not the mail
        log.exception("imap: mail %s stays in the mailbox for the next pass", inbound_id)
        return False
    return True


def fetch_raw(box: BaseMailBox, uid: str) -> tuple[bytes, datetime | None] | None:
    """The message exactly as the server holds it, and its INTERNALDATE (when the mailbox
    received it). BODY.PEEK leaves the \\Seen flag alone for people who read the mailbox too."""
    status, data = box.client.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
    if status != "OK":
        raise ConnectionError(f"FETCH of uid {uid} failed: {status} {data!r}")
    for index, item in enumerate(data):
        # The literal comes as (header, bytes); the rest of that response follows as bytes.
        if isinstance(item, tuple) and b"BODY[]" in item[0]:
            after = data[index + 1] if index + 1 < len(data) else b""
            meta = item[0] + (after if isinstance(after, bytes) else b"")
            match = _INTERNALDATE.search(meta)
            return item[1], _internaldate(match.group(1)) if match else None
    return None


def _internaldate(text: bytes) -> datetime | None:
    """A date the server garbled must not block the mailbox: the mail is taken, received now."""
    try:
        return parse_internaldate(text)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        log.warning("imap: unreadable INTERNALDATE %r; using the time of receipt", text)
        return None


def parse_internaldate(text: bytes) -> datetime:
    """' 7-Jul-2026 10:00:00 +0200' → aware datetime; month names are English whatever the
    locale, which email.utils reads and strptime's %b would not."""
    day_month_year, clock, zone = text.decode("ascii").split()
    return parsedate_to_datetime(f"{day_month_year.replace('-', ' ')} {clock} {zone}")


# -- the long-running poller -------------------------------------------------------------------


class Poller:
    """Polls one mailbox while it holds the lease; reconnects with back-off; never dies."""

    def __init__(
        self,
        server: MailServer,
        *,
        processed_folder: str = DEFAULT_PROCESSED_FOLDER,
        holder: str | None = None,
        idle_timeout: float = IDLE_TIMEOUT,
        poll_interval: float = POLL_INTERVAL,
        standby_interval: float = STANDBY_INTERVAL,
    ) -> None:
        self.server = server
        self.processed_folder = processed_folder
        self.holder = holder or leases.holder_id()
        self.lease = lease_name(server)
        self.idle_timeout = idle_timeout
        self.poll_interval = poll_interval
        self.standby_interval = standby_interval
        self.leading = False
        self.delay = BACKOFF_FIRST

    def is_leader(self) -> bool:
        close_old_connections()
        leading = leases.acquire(self.lease, self.holder, LEASE_TTL)
        if leading != self.leading:
            log.info(
                "imap: %s %s", "polling" if leading else "standing by for", describe(self.server)
            )
            self.leading = leading
        return leading

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                self._attempt(stop)
        finally:
            with suppress(DatabaseError):
                leases.release(self.lease, self.holder)

    def _attempt(self, stop: threading.Event) -> None:
        try:
            if self.is_leader():
                self.serve(stop)
            else:
                stop.wait(self.standby_interval)
        except Exception as error:  # one line per failure; the loop is the retry
            log.warning(
                "imap: %s: %s: %s; retrying in %.3g s",
                describe(self.server),
                type(error).__name__,
                error,
                self.delay,
            )
            stop.wait(self.delay)
            self.delay = min(self.delay * 2, BACKOFF_MAX)

    def serve(self, stop: threading.Event) -> None:
        """One connection: poll, wait for news, poll again, until stopped or the lease is lost."""
        with connected(self.server) as box:
            self.delay = BACKOFF_FIRST  # connected: the next failure starts the back-off anew
            processed = ensure_folder(box, self.processed_folder)
            idle = "IDLE" in box.client.capabilities
            while not stop.is_set() and self.is_leader():
                if poll_once(box, processed, still_leader=self.is_leader) < BATCH:
                    self.wait_for_news(box, stop, idle)

    def wait_for_news(self, box: BaseMailBox, stop: threading.Event, idle: bool) -> None:
        if not idle:
            stop.wait(self.poll_interval)
            return
        box.idle.start()  # type: ignore[no-untyped-call]  # imap-tools leaves it untyped
        try:
            deadline = time.monotonic() + self.idle_timeout
            # Short polls so that SIGTERM is answered within a second, not at the next mail.
            while not stop.is_set() and time.monotonic() < deadline:
                if box.idle.poll(timeout=1.0):
                    break
        finally:
            box.idle.stop()  # type: ignore[no-untyped-call]
