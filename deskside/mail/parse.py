"""Turn the raw bytes of one RFC 5322 message into a ParsedMail.

Pure Python, no database: intake stores the raw bytes first and calls `parse()` afterwards, so a
bug here never loses a mail. Real mail is often broken; the rule is best effort, and when a
message cannot be read at all (or breaks a limit) a `MailRejected` with a clear reason, never
another exception.

This module reads the MIME tree and its attachments; headers.py decodes header values and
charsets, html.py turns HTML into text and into safe markup, reports.py reads delivery reports.
"""

from __future__ import annotations

import binascii
import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.message import EmailMessage, Message
from email.parser import BytesFeedParser

from deskside.core.filenames import MAX_FILENAME_BYTES, normalise_filename
from deskside.mail import headers, quotes, sender
from deskside.mail.headers import (
    CLASSIFY_HEADERS,
    RAW_HEADERS,
    decode_bytes,
    decode_words,
    first_id,
    fix_8bit,
    raw_header,
)
from deskside.mail.html import CidResolver, html_to_text, sanitise, text_as_html, tidy_text
from deskside.mail.limits import (
    Budget,
    Limits,
    MailRejected,
    check_addresses,
    check_header_lines,
    check_part,
    check_raw,
)
from deskside.mail.reports import DeliveryReport, delivery_report

__all__ = [
    "CLASSIFY_HEADERS",
    "MAX_FILENAME_BYTES",
    "CidResolver",
    "DeliveryReport",
    "Limits",
    "MailRejected",
    "ParsedAttachment",
    "ParsedMail",
    "decode_bytes",
    "decode_words",
    "html_to_text",
    "normalise_filename",
    "parse",
]

# Our MTA adds a few; more come from the relays before it, and are ignored anyway.
MAX_AUTHENTICATION_RESULTS = 20
DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes
    size: int
    sha256: str
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str | None
    visible_text: str
    content_language: str | None
    headers: Mapping[str, str]
    attachments: tuple[ParsedAttachment, ...]
    defects: tuple[str, ...]
    is_report: bool
    report: DeliveryReport | None
    # Why From does not name exactly one sender (deskside/mail/sender.py), or None: such a
    # mail is never matched to a contact.
    sender_problem: str | None = None
    # Every Authentication-Results field, top first (deskside/mail/authresults.py reads ours).
    authentication_results: tuple[str, ...] = ()


def parse(
    raw: bytes, limits: Limits = DEFAULT_LIMITS, *, resolve_cid: CidResolver | None = None
) -> ParsedMail:
    """Parse one message. `resolve_cid` maps a Content-ID of this message to a URL for display;
    without it, `cid:` sources stay for the caller to map."""
    msg = _read_message(raw, limits)
    defects = _check_structure(msg, limits)
    check_addresses(msg, limits)
    walk = _Walker(limits)
    body = walk.body(msg)
    text = tidy_text("\n\n".join(piece for piece in body.text if piece.strip()))
    own_ids = {a.content_id for a in walk.attachments if a.content_id}
    markup = "".join(body.html)
    walk.budget.sanitising(markup)
    html = sanitise(markup, own_ids, resolve_cid) if body.html else None
    from_fields = [fix_8bit(str(v)) for k, v in msg.raw_items() if k.lower() == "from"]
    from_name, from_address = headers.first_mailbox(from_fields[0] if from_fields else "")
    reply_to = headers.addresses(msg, "reply-to")
    return ParsedMail(
        message_id=first_id(raw_header(msg, "message-id")),
        in_reply_to=headers.message_ids(raw_header(msg, "in-reply-to")),
        references=headers.message_ids(raw_header(msg, "references")),
        from_address=from_address,
        from_name=from_name,
        reply_to=reply_to[0] if reply_to else None,
        to=headers.addresses(msg, "to"),
        cc=headers.addresses(msg, "cc"),
        subject=headers.subject(raw_header(msg, "subject") or ""),
        date=headers.date(raw_header(msg, "date")),
        text=text,
        html=html,
        visible_text=quotes.fold(text)[0] if text else "",
        content_language=headers.language_tag(raw_header(msg, "content-language")),
        headers=headers.classify_headers(msg),
        attachments=tuple(walk.attachments),
        defects=tuple(defects),
        is_report=msg.get_content_type() == "multipart/report",
        report=delivery_report(msg, children=_children, payload=_payload),
        sender_problem=sender.problem(from_fields, from_address),
        authentication_results=tuple(
            fix_8bit(str(v)) for k, v in msg.raw_items() if k.lower() == "authentication-results"
        )[:MAX_AUTHENTICATION_RESULTS],
    )


# --- reading and limits -----------------------------------------------------------------------


class _BoundedParser(BytesFeedParser):
    """The email package's parser, stopping as soon as a mail breaks a limit: at the part past
    the part or depth limit (10,000 tiny parts, or 3,000 nested ones, take most of a second to
    read whole), and at a header block past the limits, before it reads the fields (a part of
    300,000 header lines takes seconds). It hooks two methods of the parser that every Python
    3 has had; _check_structure checks the finished tree all the same."""

    def __init__(self, limits: Limits) -> None:
        super().__init__(policy=RAW_HEADERS)
        self.limits = limits
        self.parts = 0

    def _new_message(self) -> None:
        self.parts += 1
        check_part(self.parts, len(self._msgstack), self.limits)  # type: ignore[attr-defined]
        super()._new_message()  # type: ignore[misc]

    def _parse_headers(self, lines: list[str]) -> None:
        check_header_lines(lines, self.limits)
        super()._parse_headers(lines)  # type: ignore[misc]


def _read_message(raw: bytes, limits: Limits) -> EmailMessage:
    check_raw(raw, limits)
    if not raw.strip():
        raise MailRejected("empty message: no headers and no body")
    parser = _BoundedParser(limits)
    view = memoryview(raw)
    # Feed in chunks: parsebytes() would decode the whole message into one big str (and
    # StringIO would copy it again), several times the size of a large attachment.
    try:
        for start in range(0, len(raw), 1 << 16):
            parser.feed(view[start : start + (1 << 16)].tobytes())
        msg = parser.close()
    except RecursionError:
        raise MailRejected(f"MIME nesting too deep (limit {limits.max_depth})") from None
    if not isinstance(msg, EmailMessage) or not msg.keys():
        raise MailRejected("unparseable message: no RFC 5322 header found")
    return msg


def _check_structure(msg: Message, limits: Limits) -> list[str]:
    """Enforce the part and depth limits over the whole tree (also inside attached messages)
    and collect the parser's defect names."""
    defects: list[str] = []
    parts = 0
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise MailRejected(f"too many MIME parts: more than {limits.max_parts}")
        if depth > limits.max_depth:
            raise MailRejected(f"MIME nesting too deep: more than {limits.max_depth} levels")
        defects.extend(type(defect).__name__ for defect in part.defects)
        stack.extend((child, depth + 1) for child in reversed(_children(part)))
    return defects


# --- MIME tree --------------------------------------------------------------------------------


@dataclass
class _Body:
    text: list[str]
    html: list[str]


_BODY_TYPES = frozenset({"text/plain", "text/html"})


class _Walker:
    """Walks the MIME tree once, collecting body pieces and attachments."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.budget = Budget(limits)
        self.attachments: list[ParsedAttachment] = []

    def body(self, part: Message) -> _Body:
        ctype = part.get_content_type()
        if part.is_multipart():
            children = _children(part)
            if ctype == "multipart/alternative":
                return self._alternative(children)
            if ctype in {"multipart/signed", "multipart/report"} and children:
                first = self.body(children[0])
                for child in children[1:]:
                    self._attach(child)
                return first
            return self._concat(children)
        if ctype in _BODY_TYPES and not _is_attachment(part):
            return self._leaf(part, ctype)
        self._attach(part)
        return _Body([], [])

    def _leaf(self, part: Message, ctype: str) -> _Body:
        text = decode_bytes(_payload(part), part.get_content_charset())
        self.budget.text(text)
        if ctype == "text/html":
            self.budget.html(text)
            return _Body([html_to_text(text)], [text])
        return _Body([text], [])

    def _alternative(self, children: list[Message]) -> _Body:
        """Text from the text/plain alternative (else the richest), HTML from the richest."""
        bodies = [self.body(child) for child in children]
        plain = [
            body
            for body, child in zip(bodies, children, strict=True)
            if child.get_content_type() == "text/plain" and "".join(body.text).strip()
        ]
        rich = [body for body in bodies if body.html]
        text_source = plain[:1] or rich[-1:] or bodies[-1:]
        return _Body(text_source[0].text if text_source else [], rich[-1].html if rich else [])

    def _concat(self, children: list[Message]) -> _Body:
        bodies = [self.body(child) for child in children]
        texts = [piece for body in bodies for piece in body.text]
        if not any(body.html for body in bodies):
            return _Body(texts, [])
        html = [piece for body in bodies for piece in (body.html or map(text_as_html, body.text))]
        return _Body(texts, html)

    def _attach(self, part: Message) -> None:
        payload = _payload(part)
        if len(payload) > self.limits.max_attachment_bytes:
            limit = self.limits.max_attachment_bytes
            raise MailRejected(f"attachment too large: {len(payload)} bytes, limit {limit}")
        ctype = part.get_content_type()
        self.attachments.append(
            ParsedAttachment(
                filename=_filename(part, ctype, len(self.attachments) + 1),
                content_type=ctype,
                payload=payload,
                size=len(payload),
                sha256=hashlib.sha256(payload).hexdigest(),
                content_id=first_id(raw_header(part, "content-id")),
                inline=part.get_content_disposition() == "inline",
            )
        )


def _children(part: Message) -> list[Message]:
    if not part.is_multipart():  # get_payload() of a leaf may decode its body (see _payload)
        return []
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)]


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or bool(_safe_filename(part))


def _payload(part: Message) -> bytes:
    if part.get_content_maintype() == "message" or part.is_multipart():
        return _message_bytes(part)
    # The body as the parser left it. get_payload() would first decode a body that holds 8-bit
    # bytes with the part's charset, for nothing: in UTF-16 that costs a microsecond a byte.
    raw = vars(part).get("_payload")
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    if isinstance(raw, str) and encoding in _UU_ENCODINGS:
        return _uudecode(raw)
    if isinstance(raw, str) and encoding == "base64":
        try:
            # Straight from the str: get_payload(decode=True) first copies it to bytes.
            return binascii.a2b_base64(raw)
        except (binascii.Error, ValueError):
            pass
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


_UU_ENCODINGS = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})


def _uudecode(text: str) -> bytes:
    """Decode uuencoded lines; unlike the email package, also without the "begin" line."""
    decoded: list[bytes] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("begin ") or line.strip() == "end":
            continue
        try:
            decoded.append(binascii.a2b_uu(line))
        except (binascii.Error, ValueError):
            # Broken encoders pad lines with garbage; the length byte says what is real.
            length = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
            decoded.append(binascii.a2b_uu(line[:length]))
    return b"".join(decoded)


def _message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    try:
        if isinstance(payload, list):
            inner = [p.as_bytes() for p in payload if isinstance(p, Message)]
            return (
                b"\n".join(inner) if part.get_content_maintype() == "message" else part.as_bytes()
            )
        return str(payload).encode("utf-8", "surrogateescape")
    except (LookupError, UnicodeError, ValueError, TypeError, HeaderParseError):
        return str(part).encode("utf-8", "surrogateescape")


# --- attachment names -------------------------------------------------------------------------

_EXTENSIONS = {"message/rfc822": ".eml", "message/delivery-status": ".txt", "text/plain": ".txt"}


def _safe_filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (HeaderParseError, LookupError, ValueError, TypeError, IndexError):
        return None
    return decode_words(fix_8bit(name)) if name else None


def _filename(part: Message, ctype: str, index: int) -> str:
    name = normalise_filename(_safe_filename(part) or "")
    if name:
        return name
    ext = _EXTENSIONS.get(ctype) or mimetypes.guess_extension(ctype, strict=False) or ".bin"
    prefix = "image" if ctype.startswith("image/") else "attachment"
    return f"{prefix}-{index}{ext}"
