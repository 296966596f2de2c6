"""Reading the severity tag a client puts in a mail subject (docs/protocol.md, Severity in the
subject).

Pure Python, no Django: the intake, the portal and ``deskside check-subject`` all ask this
module how the protocol reads a subject. The subject is folded once (compatibility forms,
case, accents), scanned once by one precompiled regular expression, and its first word is
checked for the short form by an anchored one.

Decisions on the cases the protocol's examples leave open (each is pinned by a test):

* A tag is a keyword, optional separators, an optional level word and ONE digit. A digit that
  runs on (``Sev 12``), a decimal or version (``Severity 2.1``, ``Sev 2,5``), a range, time or
  date (``Sev 1-2``, ``Sev 1/4``, ``Sev 1:30``) or a letter after it (``Sev 1st``) is no tag.
* Keywords: Severity, Sev, Sev. and a level word (level, lvl, niveau, stufe); Dutch Ernst,
  Ernstniveau, Ernstigheid(sniveau); French Sévérité, Gravité, Niveau de gravité/sévérité;
  German Schweregrad, Schwere. Priority words (P1, Prio, Priority, Prioriteit, Priorité,
  Priorität) and near words (Severe, Seveso, Gravitation) are never keywords.
* Separators: whitespace, ``- – — : # = _`` and an opening bracket (``Severity (2)``), in any
  run, or none (``SEV4``).
* The short form ``S1``-``S4`` counts only alone in ``[]``, ``()`` or ``{}`` (``[S2]``,
  ``( S-2 )``), or as the first word after reply prefixes when followed by ``:``, ``|`` or a
  dash that stands free (``S2 - x``, ``S2: x``). A bare space is not enough (``S3 bucket is
  slow`` is about Amazon S3 far more often than a severity), nor is the end of the subject.
  ``S0`` and ``S5``-``S9`` are product names (Galaxy S9), not invalid severities: only the long
  keywords can make a subject *invalid*.
* A keyword with a digit outside 1-4 (``Severity 0``, ``Severity 5``) is *invalid*.
* Tags that agree are *found*; tags that disagree are *ambiguous*, also when one of them is
  invalid (``Sev 2 ... Severity 5``): the client stated two levels and only they know which
  one they meant, so the agent must not guess. When every tag is out of range
  (``Sev 0 ... Sev 5``) the subject is *invalid*, with all the numbers in ``levels``.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

LOWEST_LEVEL = 1
HIGHEST_LEVEL = 4


class Result(StrEnum):
    FOUND = "found"
    MISSING = "missing"
    INVALID = "invalid"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class SeverityReading:
    result: Result
    level: int | None
    levels: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON object ``deskside check-subject`` prints (docs/protocol.md, Commands)."""
        return {"result": self.result.value, "level": self.level, "levels": list(self.levels)}


# One reply or forward prefix, in English, Dutch, French and German: Re, Fw, Fwd, AW,
# Antwort, WG, Antw, Antwoord, Doorst, TR, Réf. Outlook numbers them (Re[2]:, Re(2):, Re^2:)
# and French typography puts a space before the colon (RE :).
_PREFIX = (
    r"(?:re|fwd?|aw|antwort|wg|antw(?:oord)?|doorst|tr|r[eé]f)"
    r"(?:\s*\[\d+\]|\s*\(\d+\)|\^\d+)?\s*[:：]"
)
_PREFIX_RUN = re.compile(rf"\A(?:\s*{_PREFIX})+\s*", re.IGNORECASE)

# Keywords as they look after folding (lower case, no accents), longest forms inside.
_KEYWORDS = (
    r"sev(?:erit[ye]|\.)?",  # severity, sévérité/severite, sev, sev.
    r"schwere(?:grad)?",
    r"gravite",
    r"niveau\s*de\s*(?:gravite|severite)",
    r"ernst(?:igheid(?:s?niveau)?)?",  # ernst, ernstigheid, ernstigheidsniveau
)
_SEPARATOR = r"[\s:#=_\-–—(\[]*"
_LEVEL_WORD = r"(?:level|lvl|niveau|stufe)"  # Severity level 2, Ernstniveau 2, Sev lvl 2
# One digit that does not run on into another digit, a letter, a decimal, a range, a time or
# a date: Sev 12, Sev 1st, Severity 2.1, Sev 1-2, Sev 1:30, Sev 1/4 are no tags.
_LEVEL = r"(\d)(?![^\W_]|[.,:/\-]\d)"
# The short form alone in brackets: [S2], (S2), { s-2 }.
_BRACKETED_SHORT = r"\s*s[\s-]?([1-4])\s*[\])}]"


def _scanner() -> re.Pattern[str]:
    """The one pattern that finds every tag but the leading short form.

    Every top-level branch starts with a literal character, so that the regex engine skips
    ahead to the next ``[ ( { s g n e`` in C instead of trying each branch at every position
    (twice as fast). The lookbehind after that first letter keeps the keyword from being the
    tail of a longer word.
    """
    bracketed = [re.escape(opener) + _BRACKETED_SHORT for opener in "[({"]
    keywords = [
        rf"{kw[0]}(?<![^\W_]{kw[0]}){kw[1:]}{_SEPARATOR}(?:{_LEVEL_WORD}{_SEPARATOR})?{_LEVEL}"
        for kw in _KEYWORDS
    ]
    return re.compile("|".join(bracketed + keywords))


# The subject after folding is lower case and accent free, so the patterns need neither
# IGNORECASE nor accented letters.
_TAG = _scanner()
# The short form as the first word, too weak to stand anywhere else (Our S3 bucket is slow):
# it needs ":", "|" or a free-standing dash after it (S2 - x, S2: x, but not S3-compatible).
_LEADING_SHORT = re.compile(rf"(?:\s*{_PREFIX})*\s*s([1-4])\s*(?:[:|]|[-–—](?=\s|\Z))")

# Accents left as combining marks by NFKD, and invisible characters (zero-width spaces, soft
# hyphens, byte-order marks) that mail clients leave inside words.
_INVISIBLE = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
    "\u00ad\u200b-\u200d\u2060\ufeff]"
)


def strip_reply_prefixes(subject: str) -> str:
    """The subject without its leading run of reply and forward prefixes."""
    return _PREFIX_RUN.sub("", subject, count=1)


def read_severity(subject: str) -> SeverityReading:
    """How the protocol reads the severity tag in ``subject``."""
    text = _fold(subject)
    # Each match fills exactly one group: the digit of the branch that matched.
    levels = {int("".join(groups)) for groups in _TAG.findall(text)}
    if lead := _LEADING_SHORT.match(text):
        levels.add(int(lead[1]))
    return _reading(sorted(levels))


def _fold(subject: str) -> str:
    """Lower case, accent free, with full-width digits and odd spaces made plain."""
    if subject.isascii():  # the common case, and ten times faster
        return subject.lower()
    # NFKD does NFKC's compatibility folding (full-width digits, non-breaking spaces,
    # ligatures) and also splits accents off so that they can be dropped.
    return _INVISIBLE.sub("", unicodedata.normalize("NFKD", subject.casefold()))


_MISSING = SeverityReading(Result.MISSING, None, ())
# Readings are immutable, so the common ones are built once (building a frozen dataclass
# costs as much as the scan).
_FOUND = {
    level: SeverityReading(Result.FOUND, level, (level,))
    for level in range(LOWEST_LEVEL, HIGHEST_LEVEL + 1)
}


def _reading(levels: list[int]) -> SeverityReading:
    if not levels:
        return _MISSING
    if not any(LOWEST_LEVEL <= level <= HIGHEST_LEVEL for level in levels):
        # Only out-of-range numbers: telling the client "1 to 4" helps more than "which one?".
        return SeverityReading(Result.INVALID, None, tuple(levels))
    if len(levels) > 1:
        return SeverityReading(Result.AMBIGUOUS, None, tuple(levels))
    return _FOUND[levels[0]]


# What is left around a tag once it is cut out: empty brackets, and separators at either end.
_CUT = "\x00"
# "Sev 1 or Sev 3?": the word between two tags, and a question mark after one, go with them.
_BETWEEN_CUTS = re.compile(
    r"\x00(?:[\s,/&|]*(?:or|of|ou|oder|and|en|et|und|vs\.?)?[\s,/&|]*\x00)+", re.IGNORECASE
)
_CUT_AFTER = re.compile(r"\x00\s*[?!]+")
_EMPTY_BRACKETS = re.compile(r"\[\s*\]|\(\s*\)|\{\s*\}")
_LOOSE_ENDS = re.compile(r"\A[\s\-–—:|/,;.?!]+|[\s\-–—:|/,;(\[{]+\Z")


def without_tags(subject: str) -> str:
    """``subject`` with every severity tag (valid or not) and its reply prefixes cut out, and
    what they leave behind tidied: ``Re: [Sev 5] Export - Sev 1`` → ``Export``."""
    text = strip_reply_prefixes(subject)
    for _ in range(3):  # a cut can join two halves into a new tag; it rarely takes two rounds
        spans = _tag_spans(text)
        if not spans:
            break
        for start, end in reversed(spans):
            text = f"{text[:start]}{_CUT}{text[end:]}"
        text = _CUT_AFTER.sub(_CUT, _BETWEEN_CUTS.sub(_CUT, text)).replace(_CUT, " ")
        text = _EMPTY_BRACKETS.sub(" ", text)
    return _LOOSE_ENDS.sub("", " ".join(text.split()))


def suggested_subject(subject: str, *, keyword: str = "Severity", level: int = 2) -> str:
    """The subject the protocol's explanation suggests: the client's subject without its tags,
    one valid tag in front (``keyword`` in the client's language). It always reads as found."""
    rest = without_tags(subject)
    suggestion = f"{keyword} {level} - {rest}" if rest else f"{keyword} {level}"
    if read_severity(suggestion).result != Result.FOUND:  # a remnant still reads as a tag
        return f"{keyword} {level}"
    return suggestion


def _tag_spans(subject: str) -> list[tuple[int, int]]:
    """Where the tags stand in ``subject`` (original positions), in order."""
    folded, origin = _fold_with_origin(subject)
    spans = [(m.start(), m.end()) for m in _TAG.finditer(folded)]
    if lead := _LEADING_SHORT.match(folded):
        spans.append((lead.start(1) - 1, lead.end()))
    return [(origin[start], origin[end - 1] + 1) for start, end in sorted(spans)]


def _fold_with_origin(subject: str) -> tuple[str, list[int]]:
    """``_fold(subject)``, and for each of its characters the index it came from."""
    pieces, origin = [], []
    for index, char in enumerate(subject):
        piece = _fold(char)
        pieces.append(piece)
        origin.extend([index] * len(piece))
    return "".join(pieces), origin
