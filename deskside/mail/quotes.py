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


# Bounds on the time folding takes, whatever the text (tests/security/test_parser_limits.py):
# - mail-parser-reply's signature pattern starts with `\s*^` (multiline): on a run of white space
#   it backtracks over the run from every position in it, so its time grows with the square of
#   the run (8,000 spaces: half a second). Runs are cut to RUN_KEPT characters.
# - Its English and Dutch header patterns, `On\s(?:.+?\s?.+?)\s?wrote:`, backtrack over a line
#   that starts with "On" (and the next line) with two lazy runs: 8,000 characters after an "On"
#   take two seconds. The library reads such a line only when our own bounded pattern takes it
#   for a header (see _shadow).
# - Only the first FOLD_CHARS characters of a text are read (a reply's header is near its top):
#   folding 100,000 characters of "… wrote:" lines takes half a second.
RUN_KEPT = 64
FOLD_CHARS = 50_000
_LONG_RUN = re.compile(rf"\s{{{RUN_KEPT + 1},}}")
# Where those header patterns start: "On" or "Op" (any case) at the start of a stripped line,
# after quote marks, and white space or the line's end.
_HEADER_START = re.compile(r"^(?:> ?)*(o)[np](?:\s|$)", re.IGNORECASE)
_QUOTE_MARKS = re.compile(r"^(?:>\s?)*")
# The library sees such a line with its "o" swapped for a private-use character (same length, so
# every position in the text stays where it was).
_HIDDEN = {"o": "\ue000", "O": "\ue001"}
_SHOWN = str.maketrans({hidden: letter for letter, hidden in _HIDDEN.items()})


def fold(text: str) -> tuple[str, str]:
    """Split a plain-text body into (visible reply, folded quotes and signature)."""
    if len(text) > FOLD_CHARS:
        visible, folded = fold(text[:FOLD_CHARS])
        return (visible, folded + text[FOLD_CHARS:]) if folded else (text, "")
    text = _LONG_RUN.sub(lambda run: run.group()[:RUN_KEPT], text)
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
    shadow = _shadow(text)
    if shadow is None:
        return text, ""
    message = EmailReplyParser(languages=list(LANGUAGES)).read(shadow)
    if not message.replies:
        return text, ""
    visible = message.replies[0].body
    # The library strips every line; compare against the same normalised text.
    normalised = "\n".join(line.strip() for line in text.split("\n"))
    start = "\n".join(line.strip() for line in shadow.split("\n")).find(visible) if visible else -1
    if start < 0:
        return visible.translate(_SHOWN), ""
    end = start + len(visible)
    return normalised[start:end], normalised[:start] + normalised[end:]


def _shadow(text: str) -> str | None:
    """The text as the library may read it: a line that starts like an "On … wrote:" header but
    that our own pattern does not take for one (with the two lines after it) has its "o" hidden,
    so that the library's pattern fails at once on it. None for a text that holds the hiding
    characters itself: it is not folded."""
    if any(hidden in text for hidden in _HIDDEN.values()):
        return None
    lines = text.split("\n")
    for index, line in enumerate(lines):
        start = _HEADER_START.match(line.strip())
        if start is None or _starts_header(lines, index):
            continue
        at = len(line) - len(line.lstrip()) + start.start(1)
        lines[index] = line[:at] + _HIDDEN[line[at]] + line[at + 1 :]
    return "\n".join(lines)


def _starts_header(lines: list[str], start: int) -> bool:
    """Whether an "On … wrote:" header (up to three lines, quote marks aside) starts here."""
    parts: list[str] = []
    for line in lines[start : start + 3]:
        parts.append(_QUOTE_MARKS.sub("", line.strip()))
        if _WROTE.match(" ".join(parts)):
            return True
    return False


def _tidy(visible: str) -> str:
    """Drop the separator rulers and blank lines an Outlook cut leaves behind."""
    lines = visible.split("\n")
    while lines and (not lines[-1].strip() or _SEPARATOR_LINE.match(lines[-1])):
        lines.pop()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip("\n")
