"""Guess whether a mail is written in English, Dutch, French or German.

Counting common function words is enough to pick among four languages and costs microseconds,
so it can run on every incoming mail; a general-purpose detector would be a dependency and far
slower. When the evidence is thin or split, the answer is None and the caller falls back to
another signal (Content-Language, the contact's language, the desk default).
"""

from __future__ import annotations

import re
from collections import Counter

SAMPLE_CHARS = 2000
MIN_HITS = 3
MIN_LEAD = 1.5  # the winner needs this many times the runner-up's hits

_WORDS: dict[str, str] = {
    "en": "the and is are was were you your for with this that have has not but from will "
    "would can could please thanks thank we our it be been they there what when which "
    "about an of to if there issue problem regards hello",
    "nl": "het een en de is zijn was waren je jij u uw voor met dit dat hebben heeft niet maar "
    "van naar wij we ons onze er wat wanneer welke graag bedankt alvast groeten ook nog "
    "kunnen kan zou wordt bij hier",
    "fr": "le la les un une et est sont était vous votre pour avec ce cette que qui pas mais de "
    "du des nous notre il elle ils merci bonjour cordialement je sur dans avons avez être "
    "très aussi au aux",
    "de": "der die das ein eine und ist sind war waren sie ihr ihre für mit dies dass haben hat "
    "nicht aber von zu wir unser unsere es was wenn welche bitte danke grüße gruß ich auf "
    "auch noch können kann wird bei hier",
}


def _exclusive_words() -> dict[str, str]:
    """Map each word to its language, leaving out words that several languages share."""
    counts = Counter(word for words in _WORDS.values() for word in set(words.split()))
    return {
        word: language
        for language, words in _WORDS.items()
        for word in words.split()
        if counts[word] == 1
    }


_LANGUAGE_OF = _exclusive_words()
_TOKEN = re.compile(r"[^\W\d_]+")


def detect(text: str) -> str | None:
    """'en', 'nl', 'fr' or 'de', or None when not confident."""
    hits = Counter(
        _LANGUAGE_OF[word]
        for word in _TOKEN.findall(text[:SAMPLE_CHARS].lower())
        if word in _LANGUAGE_OF
    )
    ranked = hits.most_common(2)
    if not ranked or ranked[0][1] < MIN_HITS:
        return None
    if len(ranked) > 1 and ranked[0][1] < MIN_LEAD * ranked[1][1]:
        return None
    return ranked[0][0]
