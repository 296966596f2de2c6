"""Delivery reports: what a multipart/report (RFC 3464 DSN) says about the message it returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from deskside.mail.headers import RAW_HEADERS, first_id, raw_header

# The MIME tree readers live with the walker in parse.py, which imports this module; they are
# passed in so that imports keep flowing one way.
Children = Callable[[Message], list[Message]]
Payload = Callable[[Message], bytes]


@dataclass(frozen=True)
class DeliveryReport:
    """What a multipart/report (RFC 3464 DSN) says about the message it returns."""

    report_type: str
    original_message_id: str | None
    failed_recipients: tuple[str, ...]
    action: str | None
    status: str | None


def delivery_report(msg: Message, *, children: Children, payload: Payload) -> DeliveryReport | None:
    if msg.get_content_type() != "multipart/report":
        return None
    parts = list(msg.walk())
    fields = _status_fields(parts, children)
    failed = [_after_type(v) for k, v in fields if k == "final-recipient"]
    header = raw_header(msg, "x-failed-recipients") or ""
    failed += [a.strip() for a in header.split(",") if a.strip()]
    return DeliveryReport(
        report_type=str(msg.get_param("report-type") or "").lower(),
        original_message_id=_original_id(parts, children, payload),
        failed_recipients=tuple(dict.fromkeys(failed)),
        action=next((v.lower() for k, v in fields if k == "action"), None),
        status=next((v for k, v in fields if k == "status"), None),
    )


def _status_fields(parts: list[Message], children: Children) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for part in parts:
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in children(part):
            fields += [(k.lower(), " ".join(str(v).split())) for k, v in block.raw_items()]
    return fields


def _after_type(value: str) -> str:
    return value.split(";", 1)[-1].strip().strip("<>")


def _original_id(parts: list[Message], children: Children, payload: Payload) -> str | None:
    for part in parts:
        ctype = part.get_content_type()
        if ctype in {"message/rfc822", "message/global", "message/rfc822-headers"}:
            inner = children(part)
            found = first_id(raw_header(inner[0], "message-id")) if inner else None
        elif ctype == "text/rfc822-headers":
            headers = BytesHeaderParser(policy=RAW_HEADERS).parsebytes(payload(part))
            found = first_id(raw_header(headers, "message-id"))
        else:
            continue
        if found:
            return found
    return None
