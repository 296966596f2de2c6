"""What our own mail server found when it checked a mail's sender: its Authentication-Results
header fields (RFC 8601), read only from the server named by DESKSIDE_AUTHSERV_ID.

Anyone can write an Authentication-Results field; only the one our own MTA (or mailbox provider:
Gmail's is `mx.google.com`) added says anything. RFC 8601 §5: a reader believes only the fields
of the authserv-ids it trusts, and the MTA removes fields claiming its id from incoming mail.
Fields of any other id are ignored. When several fields carry our id (OpenDKIM, OpenDMARC and
an SPF checker each add one) their results are merged: a `pass` only when every field says so,
so that a forged field above or below the real one can only make a mail look worse.

A mail *failed* when DMARC failed, or when (without a DMARC result) SPF failed and no DKIM
signature passed: its From may be forged. The intake holds such a mail when it comes in the
name of a known contact (deskside/mail/decide.py), and the desk shows a warning on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

METHODS = ("spf", "dkim", "dmarc")
_SUMMARY_PART = re.compile(r"\b(spf|dkim|dmarc)=([a-z]+)\b")


@dataclass(frozen=True)
class Verdict:
    summary: str  # e.g. "spf=fail dkim=none dmarc=fail"; "" when our server said nothing

    @property
    def failed(self) -> str | None:
        return failed(self.summary)


def read(values: Sequence[str], authserv_id: str) -> Verdict:
    """The merged results of the fields in `values` whose authserv-id is `authserv_id` (in any
    case); an empty Verdict when none is, or when no id is configured."""
    if not authserv_id:
        return Verdict("")
    found: dict[str, list[str]] = {}
    for value in values:
        results = _ours(value, authserv_id.lower())
        for method, result in results or ():
            found.setdefault(method, []).append(result)
    parts = [f"{m}={_merged(found[m])}" for m in METHODS if m in found]
    return Verdict(" ".join(parts))


def failed(summary: str) -> str | None:
    """What failed, in words ("DMARC", "SPF and DKIM"), for a summary written by `read`."""
    results = dict(_SUMMARY_PART.findall(summary))
    dmarc = results.get("dmarc")
    if dmarc == "fail":
        return "DMARC"
    if dmarc == "pass":
        return None
    if results.get("spf") == "fail" and results.get("dkim") != "pass":
        return "SPF and DKIM"
    return None


def _merged(results: list[str]) -> str:
    """A pass only when every field says pass: a forged field can only make things worse."""
    if "fail" in results:
        return "fail"
    return next((r for r in results if r != "pass"), "pass")


def _ours(value: str, authserv_id: str) -> list[tuple[str, str]] | None:
    """(method, result) pairs of one field, or None when another server wrote it."""
    parts = _without_comments(value).split(";")
    head = parts[0].split()
    if not head or head[0].strip('"').lower() != authserv_id:
        return None
    pairs = []
    for resinfo in parts[1:]:
        method, equals, rest = resinfo.partition("=")
        method = method.strip().split("/")[0].strip().lower()
        if equals and method in METHODS and rest.split():
            pairs.append((method, rest.split()[0].strip().lower()))
    return pairs


def _without_comments(value: str) -> str:
    """The field without its (nested) comments, which may hold ';' and '=' (RFC 5322 §3.2.2);
    quoted strings kept as they are."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for ch in " ".join(value.split()):
        if escaped:
            escaped = False
            if depth == 0:
                out.append(ch)
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if ch == '"' and depth == 0:
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            continue
        elif not quoted and ch == ")" and depth:
            depth -= 1
            continue
        if depth == 0:
            out.append(ch)
    return "".join(out)
