"""Fold quoted history and signatures out of a reply, keeping what the sender just wrote.

Two strategies, because mail is written two ways:

- top posting (reply above an "On ... wrote:" or Outlook "From: / Sent:" header): the
  mail-parser-reply library knows these headers in many languages and cuts at the first one;
- ">" quoting with answers below or between the quotes (bottom posting, inline replies): the
  library would cut the answers away, so quoted lines and their headers are folded line by line.
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

LANGUAGES = ("en", "nl", "fr", "de")

# "On <date>, <name> wrote:" in our four languages, also when a client wraps it over lines.
# Dutch and German put the verb before the name ("Op <date> schreef <name> <address>:").
_WROTE = re.compile(
    r"^(?:on|op|le|am)\b.{0,300}?\b(?:wrote|schreef|a\s+écrit|schrieb)(?:\s*:?|\b.{0,200}:)\s*$",
    re.IGNORECASE,
)
# Any single line ending in "... wrote:" ("John Smith wrote:").
_WROTE_LINE = re.compile(r"^.{0,300}\b(?:wrote|schreef|a\s+écrit|schrieb)\s*:\s*$", re.IGNORECASE)
_SEPARATOR_LINE = re.compile(r"^\s*[-_=*~]{4,}\s*$")
_SIGNATURE_MARK = frozenset({"--", "-- "})


def fold(text: str) -> tuple[str, str]:
    """Split a plain-text body into (visible reply, folded quotes and signature)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if _is_quote_style(lines):
        visible, folded = _fold_lines(lines)
    else:
        visible, folded = _fold_top_posting("\n".join(lines))
        # Our own rules catch the ">" quotes and headers the library missed.
        visible, rest = _fold_lines(visible.split("\n"))
        folded = f"{folded}\n{rest}" if rest else folded
    return _tidy(visible), folded.strip("\n")


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _is_quote_style(lines: list[str]) -> bool:
    """True when the answer sits below or between ">" quotes instead of on top."""
    first_quote = next((i for i, line in enumerate(lines) if _is_quoted(line)), None)
    if first_quote is None:
        return False
    before = [line for line in lines[:first_quote] if line.strip()]
    after = [line for line in lines[first_quote:] if line.strip() and not _is_quoted(line)]
    has_answer_after = any(line.rstrip() not in _SIGNATURE_MARK for line in after[:1])
    return has_answer_after and (not before or _header_end(lines, _first_text(lines)) is not None)


def _first_text(lines: list[str]) -> int:
    """Index of the header line right above the first quote, or of the first line."""
    first_quote = next(i for i, line in enumerate(lines) if _is_quoted(line))
    for start in range(max(0, first_quote - 4), first_quote):
        if _header_end(lines, start) is not None:
            return start
    return 0


def _header_end(lines: list[str], start: int) -> int | None:
    """If an "... wrote:" header (up to three lines) starts at `start` and is followed by a
    quote, the index of its last line."""
    for end in range(start, min(start + 3, len(lines))):
        if not lines[end].strip() or _is_quoted(lines[end]):
            return None
        joined = " ".join(line.strip() for line in lines[start : end + 1])
        is_header = _WROTE.match(joined) or (end == start and _WROTE_LINE.match(joined))
        if is_header and _quote_follows(lines, end + 1):
            return end
    return None


def _quote_follows(lines: list[str], index: int) -> bool:
    rest = (line for line in lines[index:] if line.strip())
    return _is_quoted(next(rest, ""))


def _fold_lines(lines: list[str]) -> tuple[str, str]:
    visible: list[str] = []
    folded: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.rstrip() in _SIGNATURE_MARK:
            folded.extend(lines[index:])
            break
        header_end = None if _is_quoted(line) else _header_end(lines, index)
        if header_end is not None:
            folded.extend(lines[index : header_end + 1])
            index = header_end + 1
            continue
        (folded if _is_quoted(line) else visible).append(line)
        index += 1
    return "\n".join(visible), "\n".join(folded)


def _fold_top_posting(text: str) -> tuple[str, str]:
    message = EmailReplyParser(languages=list(LANGUAGES)).read(text)
    if not message.replies:
        return text, ""
    visible = message.replies[0].body
    # The library strips every line; compare against the same normalised text.
    normalised = "\n".join(line.strip() for line in text.split("\n"))
    start = normalised.find(visible) if visible else -1
    if start < 0:
        return visible, ""
    return visible, normalised[:start] + normalised[start + len(visible) :]


def _tidy(visible: str) -> str:
    """Drop the separator rulers and blank lines an Outlook cut leaves behind."""
    lines = visible.split("\n")
    while lines and (not lines[-1].strip() or _SEPARATOR_LINE.match(lines[-1])):
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip("\n")
