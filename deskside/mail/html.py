"""HTML bodies: readable text from markup, and markup safe to show on the desk (nh3, with images
only from the message's own cid: parts)."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from html.parser import HTMLParser

import nh3

CidResolver = Callable[[str], str | None]

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "footer",
        "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
        "pre", "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, opening=True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        self._tag(tag, opening=False)

    def _tag(self, tag: str, *, opening: bool) -> None:
        step = 1 if opening else -1
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping + step)
        elif tag == "pre":
            self.pre = max(0, self.pre + step)
        if tag in _BLOCK_TAGS:
            self.chunks.append("\n")
        elif tag in {"td", "th"} and not opening:
            self.chunks.append("\t")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))


# A start tag with its attributes (quoted values may hold ">"), possessive so that no input
# makes it backtrack.
_START_TAG = re.compile(r"""<([A-Za-z][^\s/>]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")


def html_to_text(markup: str) -> str:
    """Readable text from HTML: block elements become line breaks, script/style vanish."""
    extractor = _TextExtractor()
    # Attributes say nothing to a reader, and HTMLParser reads each one in Python (~4 µs): a tag
    # of two million attributes took 8 seconds. The tags go in bare.
    extractor.feed(_START_TAG.sub(r"<\1>", markup))
    extractor.close()
    # Collapsed whitespace leaves one space at the start of a line after a block boundary.
    return tidy_text(re.sub(r"\n (?=\S)", "\n", "".join(extractor.chunks)))


def tidy_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def text_as_html(text: str) -> str:
    return "<p>" + html_lib.escape(text).replace("\n", "<br>\n") + "</p>"


# Display tags: nh3's default set minus the interactive or layout-breaking ones.
_TAGS = nh3.ALLOWED_TAGS - {"area", "map", "nav", "details", "summary"}
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
# No style attribute at all: CSS can hide text, overlay the desk, or load remote resources.
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid"}


def sanitise(markup: str, own_ids: set[str], resolve_cid: CidResolver | None) -> str:
    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return _image_source(value, own_ids, resolve_cid)
        if attribute in {"href", "cite"} and value.strip().lower().startswith("cid:"):
            return None
        return value

    return nh3.clean(
        markup,
        tags=_TAGS,
        clean_content_tags={"script", "style", "title", "head", "template"},
        attributes=_ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def _image_source(value: str, own_ids: set[str], resolve_cid: CidResolver | None) -> str | None:
    """Images only from this message's own parts: a remote source is a tracking pixel, and a
    cid: naming another message's part must not reach it."""
    if not value.strip().lower().startswith("cid:"):
        return None
    content_id = value.strip()[4:].strip("<>")
    if content_id not in own_ids:
        return None
    return resolve_cid(content_id) if resolve_cid else f"cid:{content_id}"
