"""CSV as a spreadsheet opens it: the one writer of every export (the reports of issue #16).

- UTF-8 with a byte order mark, so that Excel reads accents and "ë" as they are; RFC 4180
  otherwise (CRLF line ends, fields quoted when they hold a separator, quote or line break).
- Dates and times in ISO 8601 ("2026-11-23", "2026-11-23T10:00:00+01:00"): a time is written in
  the zone it carries, or the one asked for; a time without a zone is refused.
- Formula injection (CWE-1236): a spreadsheet runs a cell that starts with "=", "+", "-" or "@"
  as a formula (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`), and a tab or a carriage return before
  one can hide it. A text cell that starts with any of these six gets a leading apostrophe, as
  OWASP's CSV Injection guidance says: the spreadsheet shows the text, runs nothing. Numbers
  are written as numbers (-5 stays -5): only text comes from people.

Pure Python, no Django: a view streams `rows()` (a StreamingHttpResponse), a command `write()`s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import TextIO

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[object]


def cell(value: object, tz: tzinfo | None = None) -> str:
    """One value as the text of its cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"a time without a zone cannot be written: {value!r}")
        return (value.astimezone(tz) if tz else value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralised(str(value))


def neutralised(text: str) -> str:
    """Text a spreadsheet shows and never runs (see the module's docstring)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(header: Row, body: Iterable[Row], tz: tzinfo | None = None) -> Iterator[str]:
    """The file a line at a time, the byte order mark first: for a streaming response."""
    line = io.StringIO()
    writer = csv.writer(line, lineterminator="\r\n")
    yield BOM
    for values in _with_header(header, body):
        writer.writerow([cell(value, tz) for value in values])
        yield line.getvalue()
        line.seek(0)
        line.truncate()


def write(out: TextIO, header: Row, body: Iterable[Row], tz: tzinfo | None = None) -> None:
    """The whole file into `out` (opened with newline="", as the csv module asks)."""
    for text in rows(header, body, tz):
        out.write(text)


def _with_header(header: Row, body: Iterable[Row]) -> Iterator[Row]:
    yield header
    yield from body
