"""The SMTP/LMTP door: accept mail for the support address, store it, then answer.

The handler does as little as possible before it answers (a thin edge): it checks the recipient,
stores the raw bytes durably and only then says `250`. Parsing and deciding run after the answer, in
a worker thread of this process; if the process dies first, the row stays STORED and the scheduler's
sweep (`process_pending()`) finishes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from deskside.accounts.addresses import address_key
from deskside.config import HostPort
from deskside.mail.intake import TemporaryFailure, process, store
from deskside.mail.models import Door
from deskside.mail.received import stored_envelope_sender

log = logging.getLogger("deskside.mail.smtpd")

# Gmail and most providers stop at 25-50 MB; 40 MiB leaves room for base64 overhead.
MAX_MAIL_BYTES = 40 * 1024 * 1024

STORED = "250 2.0.0 Stored as {id}"
NO_SUCH_MAILBOX = "550 5.1.1 <{address}>: no such mailbox here"
TOO_BIG = "552 5.3.4 Message too big"
TRY_LATER = "451 4.3.0 Temporary failure, try again later"


class IntakeHandler:
    """aiosmtpd handler: RCPT filters, DATA stores and then hands the mail to a worker."""

    def __init__(self, support_addresses: Iterable[str], *, lmtp: bool = False) -> None:
        self.support_addresses = frozenset(address_key(a) for a in support_addresses)
        self.lmtp = lmtp
        # One worker keeps processing in arrival order and leaves the event loop free.
        self.workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtpd-process")

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address_key(address) not in self.support_addresses:
            return NO_SUCH_MAILBOX.format(address=address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = stored_envelope_sender(envelope.mail_from)
        try:
            inbound_id = await asyncio.to_thread(_store, raw, sender)
        except TemporaryFailure as error:
            log.warning("smtpd: could not store a mail from %s: %s", sender, error)
            return self._reply(envelope, TRY_LATER)
        except Exception:  # a bug must cost one retry by the client, never the listener
            log.exception("smtpd: unexpected error while storing a mail from %s", sender)
            return self._reply(envelope, TRY_LATER)
        self.workers.submit(_process, inbound_id)
        return self._reply(envelope, STORED.format(id=inbound_id))

    def _reply(self, envelope: Envelope, status: str) -> str:
        # LMTP answers DATA once per accepted recipient (RFC 2033 §4.2).
        if not self.lmtp:
            return status
        return "\r\n".join([status] * max(1, len(envelope.rcpt_tos)))

    def close(self) -> None:
        self.workers.shutdown(wait=True)


def _store(raw: bytes, sender: str) -> int:
    close_old_connections()
    try:
        inbound, _created = store(
            raw, door=Door.SMTP, received_at=timezone.now(), envelope_sender=sender
        )
        return inbound.pk
    finally:
        connection.close()  # worker threads of asyncio.to_thread come and go with their own


def _process(inbound_id: int) -> None:
    close_old_connections()
    try:
        process(inbound_id)
    except Exception:
        # Stored and acknowledged: the scheduler's sweep retries it, so this is only logged.
        log.exception("smtpd: mail %s is stored but its processing failed", inbound_id)
    finally:
        connection.close()


class IntakeSMTP(SMTP):
    # RFC 5321 allows 1,000 octets per line, but real mail breaks it (unwrapped HTML, long
    # base64): aiosmtpd would answer a permanent 500 and the client's mail would bounce. The
    # parser copes with long lines; the data size limit still bounds the memory.
    line_length_limit = 1024 * 1024

    async def push(self, status: AnyStr) -> None:
        # aiosmtpd writes its own 552 texts; say it with the enhanced status code instead.
        if isinstance(status, str) and status.startswith("552 "):
            status = TOO_BIG
        await super().push(status)


class IntakeLMTP(IntakeSMTP, LMTP):
    pass


class Listener(Controller):
    """A threaded aiosmtpd controller speaking SMTP or LMTP with our reply texts."""

    def __init__(self, handler: IntakeHandler, address: HostPort, **kwargs: Any) -> None:
        super().__init__(handler, hostname=address.host, port=address.port, **kwargs)
        self.intake = handler

    def factory(self) -> SMTP:
        server_class = IntakeLMTP if self.intake.lmtp else IntakeSMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert)
        self.intake.close()


def listener(
    address: HostPort | None = None,
    *,
    lmtp: bool = False,
    data_size_limit: int = MAX_MAIL_BYTES,
    support_addresses: Iterable[str] | None = None,
) -> Listener:
    """A listener for the configured address; call `.start()` and `.stop()`."""
    handler = IntakeHandler(support_addresses or [settings.DESKSIDE_SUPPORT_ADDRESS], lmtp=lmtp)
    return Listener(
        handler,
        address or settings.DESKSIDE_SMTPD,
        data_size_limit=data_size_limit,
        ident="Deskside ESMTP",  # not aiosmtpd's default, which names the library and version
    )
