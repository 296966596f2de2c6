"""How large and how intricate a mail may be: the bounds that keep reading any mail within a
second and within memory, whatever its shape. A mail past one is refused with `MailRejected`,
whose reason the intake records when it holds the mail (in quarantine, its raw bytes kept).

Each bound is checked where it is cheapest: on the raw bytes before the email package reads them
(size, lines, the mail's header block), on each header block as the email package collects it
(a part's fields), on the tree it built (parts, depth), on the address fields before they are
split, and on an HTML body before it is sanitised or turned into text. The figures beside each
are what it costs on the 2-core machine of README.md, Speed; tests/security/test_parser_limits.py
sends the mails that reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message


class MailRejected(Exception):
    """A user-caused problem: the message cannot be read or breaks a limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    # A 25 MiB attachment is ~34.6 MiB once base64-encoded with CRLF line ends.
    max_bytes: int = 40 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 10
    max_attachment_bytes: int = 26 * 1024 * 1024
    # The email package reads a mail a line at a time, about a microsecond a line: 600,000 lines
    # hold the largest attachment base64-encoded in 64-character lines (most mailers use 76).
    max_lines: int = 600_000
    # One line: the SMTP door's own limit (RFC 5321 allows 1,000 bytes, real mail breaks it).
    max_line_bytes: int = 1024 * 1024
    # One header block (the mail's, or a part's): its lines, folded ones included, and its size.
    # A mail that crossed fifty relays carries a few hundred lines.
    max_header_lines: int = 5_000
    max_header_bytes: int = 1024 * 1024
    # One header field, unfolded: Postfix's header_size_limit. (A subject of a million encoded
    # words is 14 MB and takes seconds to decode.)
    max_field_bytes: int = 100 * 1024
    # From, Sender, Reply-To, To and Cc: the email package splits an address list at about
    # 5 µs a byte, so 16 KiB (some 400 addresses) take under a tenth of a second.
    max_address_bytes: int = 16 * 1024
    # HTML: tags in all of a mail's HTML (turned into text at ~7 µs a tag), and elements nested
    # in one another (the sanitiser's time grows with the square of the nesting: 10,000 open
    # <div> take 0.6 s, 1,000 take 3 ms).
    max_html_tags: int = 50_000
    max_html_depth: int = 1_000
    # Characters the sanitiser writes back as entities ("&", no-break spaces): it takes time
    # with the square of their number in one text (200,000 no-break spaces: 1.2 s; 50,000
    # ampersands: 0.07 s).
    max_html_escapes: int = 50_000
    # The text a mail shows (its text and HTML parts, decoded): more than anyone reads in a mail,
    # and each copy of it (text, visible text, HTML) is stored and shown on the ticket page.
    max_text_chars: int = 4 * 1024 * 1024


ADDRESS_FIELDS = ("from", "sender", "reply-to", "to", "cc")


def header_end(raw: bytes) -> int:
    """Where the blank line after the header block starts (the length of the mail if none):
    where `\r?\n\r?\n` first matches, found with bytes.find (the regular expression reads a
    byte at a time: a fifth of a second over a header block of 14 MB)."""
    found = [at for at in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if at >= 0]
    if not found:
        return len(raw)
    start = min(found)
    return start - 1 if raw[start - 1 : start] == b"\r" else start


def check_raw(raw: bytes, limits: Limits) -> None:
    """The bounds that the raw bytes show: size, lines, and the mail's own header block."""
    if len(raw) > limits.max_bytes:
        raise MailRejected(f"message too large: {len(raw)} bytes, limit {limits.max_bytes}")
    # The email package ends a line at CR, LF or CRLF.
    lines = raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")
    if lines > limits.max_lines:
        raise MailRejected(f"too many lines: {lines:,}, limit {limits.max_lines:,}")
    longest = _long_line(raw, limits.max_line_bytes)
    if longest:
        raise MailRejected(f"line too long: {longest:,} bytes, limit {limits.max_line_bytes:,}")
    head = raw[: header_end(raw)]
    if len(head) > limits.max_header_bytes:
        raise MailRejected(
            f"header block too large: {len(head):,} bytes, limit {limits.max_header_bytes:,}"
        )
    if head.count(b"\n") >= limits.max_header_lines:
        raise MailRejected(f"header block too long: more than {limits.max_header_lines:,} lines")


def _long_line(raw: bytes, most: int) -> int:
    """The length of a line of `raw` longer than `most` bytes, or 0. Such a line holds a whole
    window of most // 2 bytes at a multiple of that size, so only a window without a line end
    is measured: one pass at the speed of memchr, however many lines there are (a regular
    expression would cost the square of a long line; splitting the mail, a copy of it)."""
    step = max(1, most // 2)
    for start in range(0, len(raw) - step + 1, step):
        stop = start + step
        if raw.find(b"\n", start, stop) >= 0 or raw.find(b"\r", start, stop) >= 0:
            continue
        begin = max(raw.rfind(b"\n", 0, start), raw.rfind(b"\r", 0, start)) + 1
        ends = [at for at in (raw.find(b"\n", stop), raw.find(b"\r", stop)) if at >= 0]
        length = min(ends, default=len(raw)) - begin
        if length > most:
            return length
    return 0


def check_header_lines(lines: list[str], limits: Limits) -> None:
    """One header block as the email package collected it, before it reads the fields."""
    if len(lines) > limits.max_header_lines:
        raise MailRejected(f"header block too long: more than {limits.max_header_lines:,} lines")
    if sum(map(len, lines)) > limits.max_header_bytes:
        raise MailRejected(f"header block too large: more than {limits.max_header_bytes:,} bytes")
    field = 0
    for line in lines:
        field = field + len(line) if line[:1] in (" ", "\t") else len(line)
        if field > limits.max_field_bytes:
            name = line.split(":", 1)[0][:40] if line[:1] not in (" ", "\t") else "a"
            raise MailRejected(
                f"header field too long: {name} field over {limits.max_field_bytes:,} bytes"
            )


def check_part(parts: int, depth: int, limits: Limits) -> None:
    """A new part, the `parts`-th, at `depth`, as the email package starts it (see parse.py)."""
    if parts > limits.max_parts:
        raise MailRejected(f"too many MIME parts: more than {limits.max_parts}")
    if depth > limits.max_depth:
        raise MailRejected(f"MIME nesting too deep: more than {limits.max_depth} levels")


def check_addresses(msg: Message, limits: Limits) -> None:
    for key, value in msg.raw_items():
        if key.lower() in ADDRESS_FIELDS and len(value) > limits.max_address_bytes:
            raise MailRejected(
                f"address field too long: {key} is {len(value):,} bytes, "
                f"limit {limits.max_address_bytes:,}"
            )


class Budget:
    """What a mail shows, counted part by part before any is read: its text, and the tags and
    nesting of its HTML."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.chars = self.tags = self.escapes = 0

    def text(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self.limits.max_text_chars:
            raise MailRejected(
                f"text too long: more than {self.limits.max_text_chars:,} characters"
            )

    def html(self, markup: str) -> None:
        self.escapes += markup.count("&") + markup.count("\u00a0")
        self._escapes(self.escapes)
        self.tags += markup.count("<")
        if self.tags > self.limits.max_html_tags:
            raise MailRejected(f"HTML too large: more than {self.limits.max_html_tags:,} tags")
        if markup.count("<") > self.limits.max_html_depth:
            depth = html_depth(markup)
            if depth > self.limits.max_html_depth:
                raise MailRejected(
                    f"HTML nested too deep: {depth:,} levels, limit {self.limits.max_html_depth:,}"
                )

    def sanitising(self, markup: str) -> None:
        """The HTML about to be sanitised, text parts made HTML included."""
        self._escapes(markup.count("&") + markup.count("\u00a0"))

    def _escapes(self, count: int) -> None:
        if count > self.limits.max_html_escapes:
            raise MailRejected(
                f"HTML too large: {count:,} ampersands and no-break spaces, "
                f"limit {self.limits.max_html_escapes:,}"
            )


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*?(/?)>")
# Elements that have no end (void), or that HTML ends by itself when a sibling starts: they never
# nest in one another however many are left open, so they do not count as depth.
_FLAT = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
        "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp",
    }
)  # fmt: skip


def html_depth(markup: str) -> int:
    """How deep elements nest in `markup`: each start tag opens a level and each end tag closes
    one, leaving out elements that do not nest (see _FLAT). An upper bound of the depth a
    browser would build, found in one pass."""
    depth = deepest = 0
    for closing, name, self_closing in _TAG.findall(markup):
        if self_closing or name.lower() in _FLAT:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest
