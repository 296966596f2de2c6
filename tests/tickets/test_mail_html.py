"""A mail's HTML part is Django's urlize of its text, made a line at a time (notices.html_of)."""

from __future__ import annotations

from django.utils.html import linebreaks, urlize
from hypothesis import given
from hypothesis import strategies as st

from deskside.tickets.notices import html_of

# Words urlize makes something of, and the characters around them that it trims or escapes.
WORDS = st.sampled_from(
    [
        "https://portal.example/t/CCS-12",
        "www.example.com",
        "example.org.",
        "claire@acme.example",
        "(https://x.example/a?b=1&c=2)",
        "<script>alert(1)</script>",
        '"quoted"',
        "it's",
        "Ticket",
        "CCS-42:",
    ]
)
SPACES = st.sampled_from([" ", "\n", "\n\n", "\t", "\r\n", "  "])
TEXTS = st.lists(st.tuples(WORDS, SPACES), max_size=30).map(
    lambda pairs: "".join(word + space for word, space in pairs)
)


@given(TEXTS)
def test_the_html_is_urlize_of_the_whole_text(text: str) -> None:
    assert html_of(text) == linebreaks(urlize(text, autoescape=True))


def test_a_link_in_the_text_is_a_link_and_markup_is_text() -> None:
    html = html_of("See https://portal.example/t/CCS-12\n\n<b>bold</b> claims")
    assert '<a href="https://portal.example/t/CCS-12">https://portal.example/t/CCS-12</a>' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
