"""What the desk may show of an attachment in the page: an image, a PDF, the start of a text file.

Judged by the file's bytes, never by the type or the name the sender gave (both came with the
mail): a file named `photo.png` that holds HTML is no image, and is only ever a download
(storage.as_download). What is shown is served as the type its bytes prove, with `nosniff`, so
no browser reads it as anything else:
- a PNG, JPEG, GIF or WebP image as an <img> in the thread (never SVG: it is a document that
  can hold script); its URL also carries `CSP: sandbox`, should anyone open it on its own;
- a PDF opens in the browser's own viewer in a new tab (Chromium's viewer refuses to run under
  a CSP sandbox; it runs the PDF in a process of its own, without our origin's cookies or DOM);
- a text file or log (a `text/*` type but HTML, or a known suffix; no NUL bytes) as escaped
  text, its first TEXT_SHOWN bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from django.http import FileResponse, Http404

from deskside.tickets.models import Attachment
from deskside.tickets.storage import attachment_path

TEXT_SHOWN = 64 * 1024
# What a log or a configuration file is named when a mail program calls it octet-stream.
TEXT_SUFFIXES = frozenset({".txt", ".log", ".csv", ".tsv", ".json", ".xml", ".yaml", ".yml"})
TEXT_SUFFIXES |= {".ini", ".conf", ".cfg", ".md", ".out", ".err", ".trace", ".sql"}
_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class Kind(StrEnum):
    IMAGE = "image"
    PDF = "pdf"
    TEXT = "text"


@dataclass(frozen=True)
class Preview:
    kind: Kind
    content_type: str  # what its bytes prove it is, the type it is served as
    text: str = ""  # a text file's first TEXT_SHOWN bytes
    cut: bool = False  # the text goes on beyond them

    @property
    def inline(self) -> bool:
        """Served by its own URL to be shown (an image, a PDF), not only as a download."""
        return self.kind in (Kind.IMAGE, Kind.PDF)


def preview_of(found: Attachment) -> Preview | None:
    """What the desk shows of `found` in the page, or None: a download only."""
    try:
        with attachment_path(found.stored_name).open("rb") as handle:
            head = handle.read(TEXT_SHOWN + 1)
    except OSError:
        return None  # missing from the data directory: the download link says so (404)
    return _by_bytes(head) or _as_text(found, head)


def _by_bytes(head: bytes) -> Preview | None:
    for magic, content_type in _IMAGES:
        if head.startswith(magic):
            return Preview(Kind.IMAGE, content_type)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Preview(Kind.IMAGE, "image/webp")
    if head.startswith(b"%PDF-"):
        return Preview(Kind.PDF, "application/pdf")
    return None


def _as_text(found: Attachment, head: bytes) -> Preview | None:
    named = PurePosixPath(found.filename.lower()).suffix in TEXT_SUFFIXES
    declared = found.content_type.lower()
    # An HTML file's source helps nobody in the thread: it stays a download.
    typed = declared.startswith("text/") and not declared.startswith("text/html")
    if not (named or typed) or b"\x00" in head:
        return None
    shown = head[:TEXT_SHOWN]
    # A cut may fall inside a character: "replace" shows that one as U+FFFD, not an error.
    return Preview(
        Kind.TEXT,
        "text/plain",
        text=shown.decode("utf-8", errors="replace"),
        cut=len(head) > TEXT_SHOWN,
    )


def inline(found: Attachment) -> FileResponse:
    """`found` served to be shown: an image or a PDF, as the type its bytes prove; 404 for any
    other file, which is a download only."""
    preview = preview_of(found)
    if preview is None or not preview.inline:
        raise Http404("this file is only a download")
    handle = attachment_path(found.stored_name).open("rb")
    filename = "".join(ch for ch in found.filename if ch.isprintable()) or "attachment"
    response = FileResponse(handle, filename=filename, content_type=preview.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    # An image needs nothing; a PDF needs the browser's viewer, which a sandbox (and, in some
    # Chromium versions, default-src 'none') stops from drawing it.
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; frame-ancestors 'none'"
        if preview.kind == Kind.IMAGE
        else "frame-ancestors 'none'"
    )
    response["HX-Reswap"] = "none"
    return response
