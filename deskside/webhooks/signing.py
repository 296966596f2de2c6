"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme").

A secret is "whsec_" followed by the base64 of its key bytes. The signature of a message is
HMAC-SHA256, keyed with those bytes, over "{webhook-id}.{webhook-timestamp}.{body}", sent as
"v1," + its base64 in the webhook-signature header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

PREFIX = "whsec_"
KEY_BYTES = 32  # the spec asks for 24 to 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def new_message_id() -> str:
    """A webhook-id: unique per event, the same on every retry of it."""
    return "msg_" + secrets.token_hex(16)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(secret: str, message_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three headers of one attempt: the timestamp is the attempt's, so that a receiver's
    tolerance for old messages (five minutes in the reference libraries) accepts a retry."""
    timestamp = int(at.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }
