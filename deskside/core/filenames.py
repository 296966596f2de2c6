"""File names a client or a sender gives: made safe to show and to offer as a download name.

Pure Python: the mail parser (attachments) and the uploads of the desk and the portal apply the
same rules."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_BYTES = 200
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def normalise_filename(name: str) -> str:
    """Make a client-given name safe to show and to offer as a download name.

    Control and bidi characters go first, so that no later check can be fooled by them
    ("invoice\u202efdp.exe" shows as "invoiceexe.pdf")."""
    name = unicodedata.normalize("NFKC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROP_CATEGORIES)
    name = re.split(r"[/\\]", name)[-1].strip().lstrip(".").strip()
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot and stem else ""
        room = MAX_FILENAME_BYTES - len(ext.encode("utf-8")) - 1
        name = (stem if ext else name).encode("utf-8")[:room].decode("utf-8", "ignore") + (
            f".{ext}" if ext else ""
        )
    return name
