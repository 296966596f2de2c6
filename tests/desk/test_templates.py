"""Django's `{# … #}` comments end at the line's end: one that spans lines is shown to the reader
as text (the ticket page showed one under every HTML mail). Every template is checked."""

from __future__ import annotations

import re
from pathlib import Path

DESKSIDE = Path(__file__).resolve().parents[2] / "deskside"


def test_no_template_comment_spans_lines() -> None:
    shown = [
        f"{path.relative_to(DESKSIDE)}: {match.group(0)[:60]!r}"
        for path in DESKSIDE.glob("**/templates/**/*")
        if path.is_file()
        for match in re.finditer(r"\{#[^\n]*?\n.*?#\}", path.read_text(), flags=re.S)
    ]
    assert shown == []
