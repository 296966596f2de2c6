"""Who sent a mail, read strictly: the addr-spec of the one mailbox in the one From field.

headers.py reads From leniently, as real mail needs for display (a name, an address). Identity
needs more: a From that can be read two ways must never be matched to a known contact, or a
stranger borrows a client's tickets (FreeScout, GitLab Service Desk and RT each filed forged
replies this way). `problem()` says why a From field is ambiguous, or None when it names exactly
one mailbox (RFC 5322 §3.6.2, §3.4):

    mailbox = name-addr / addr-spec;  name-addr = [display-name] angle-addr

A display name is only a name, whatever it looks like (`"claire@acme.example" <m@evil.example>`
is m@evil.example). Ambiguous are: two From fields, two mailboxes or a group, text after the
angle-addr, an unclosed comment, quoted string or angle bracket, a source route, an encoded word
(RFC 2047 §5: never inside an addr-spec) where the address stands, words around a bare address,
and an addr-spec with two `@`, spaces or control characters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SPECIALS = '"(<>,:;)['
_QUOTED = re.compile(r'"(?:\\.|[^"\\])*"')
# An encoded word is one atom of a display name, whatever it holds (mailers put ':' and ','
# inside them); where an address should stand it keeps its "=?" and is refused there.
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


class _Ambiguous(Exception):
    pass


def problem(values: Sequence[str], lenient_address: str) -> str | None:
    """Why the From fields `values` do not name exactly one sender, or None. `lenient_address`
    is what headers.py read: it must be the same address, else the header reads two ways."""
    if len(values) > 1:
        return f"{len(values)} From: fields"
    if not values:
        return None
    try:
        address = strict_address(values[0])
    except _Ambiguous as why:
        return str(why)
    if not address:
        # Neither reading finds one: the intake holds it as a mail without a sender address.
        return "no address in From:" if lenient_address else None
    if address.lower() != lenient_address.lower():
        return f"From: reads as {address} and as {lenient_address or 'no address'}"
    return None


def strict_address(value: str) -> str:
    """The addr-spec of the one mailbox in `value` ("" when it names none); _Ambiguous with the
    reason when it cannot be read one way only."""
    text = _ENCODED_WORD.sub("=?w?=", " ".join(value.split()))
    before, angle, after = _scan(text)
    if angle is None:
        return _addr_spec("".join(before).strip(), bare=True)
    if "".join(after).strip():
        raise _Ambiguous("text after the address in From:")
    return _addr_spec(angle.strip(), bare=False)


def _scan(text: str) -> tuple[list[str], str | None, list[str]]:
    """The text before the angle-addr (comments as spaces), the angle-addr's inside, the text
    after it."""
    before: list[str] = []
    after: list[str] = []
    angle: str | None = None
    i = 0
    while i < len(text):
        into = after if angle is not None else before
        ch = text[i]
        if ch == '"':
            end = _closing_quote(text, i)
            into.append(text[i : end + 1])
            i = end + 1
        elif ch == "(":
            i = _closing_paren(text, i) + 1
            into.append(" ")  # a comment separates like a space (CFWS)
        elif ch == "[":
            end = text.find("]", i)
            if end < 0:
                raise _Ambiguous("an unclosed '[' in From:")
            into.append(text[i : end + 1])
            i = end + 1
        elif ch == "<":
            if angle is not None:
                raise _Ambiguous("more than one address in From:")
            end = text.find(">", i)
            if end < 0:
                raise _Ambiguous("an unclosed angle bracket in From:")
            angle, i = text[i + 1 : end], end + 1
        elif ch == ",":
            raise _Ambiguous("more than one mailbox in From:")
        elif ch in ":;":
            raise _Ambiguous("a group of addresses in From:")
        elif ch in ">)":
            raise _Ambiguous(f"a stray {ch!r} in From:")
        else:
            end = i
            while end < len(text) and text[end] not in _SPECIALS:
                end += 1
            into.append(text[i:end])
            i = end
    return before, angle, after


def _closing_quote(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    raise _Ambiguous("an unclosed quoted string in From:")


def _closing_paren(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i
        i += 1
    raise _Ambiguous("an unclosed comment in From:")


def _addr_spec(address: str, *, bare: bool) -> str:
    if "=?" in address:
        raise _Ambiguous("an encoded word (RFC 2047) where the address stands in From:")
    if any(ord(c) < 32 or ord(c) == 127 for c in address):
        raise _Ambiguous("control characters in the address in From:")
    unquoted = _QUOTED.sub("\x01", address)
    if "@" not in unquoted:
        if bare and unquoted.strip():
            raise _Ambiguous("no address in From:")
        return ""
    if any(c.isspace() for c in unquoted):
        raise _Ambiguous("words around the address in From:" if bare else "spaces in the address")
    if '"' in unquoted:
        raise _Ambiguous("an unclosed quoted string in From:")
    if "(" in unquoted:
        raise _Ambiguous("a comment inside the address in From:")
    if ":" in unquoted.partition("[")[0] or "," in unquoted:
        raise _Ambiguous("a source route in the address in From:")
    if unquoted.count("@") > 1:
        raise _Ambiguous("two '@' in the address in From:")
    return address
