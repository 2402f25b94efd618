"""A cheap, language-independent sentence splitter.

The parser only sees the sentences worth parsing, so sentences are cut
before spaCy runs: on ., !, ?, … followed by space; on a full stop glued to the next sentence
("said.The", an artefact of flattened pages); on the CJK full stops
(。！？｡), the Arabic question mark ؟, the Urdu/Persian full stop ۔ and the
Devanagari danda । with or without space; and on line breaks (flattened
pages put one paragraph per line).
Abbreviations like "U.S." or "Mr." and initials do not end a sentence.
"""

from __future__ import annotations

import re

from cyberops.record import Span

# A sentence ends at terminal punctuation (with any closing quotes) followed by
# white space, at a full stop between two words (checked by _glued_boundary), at a
# CJK full stop, or at a line break.
_BOUNDARY = re.compile(
    r"""(?:(?<=[.!?…])(?P<q1>["'»”’)\]]*)\s+)|(?P<glued>(?<=[^\W\d_]{2}\.)(?=[^\W\d_]{2}))|"""
    r"""(?:(?<=[。！？｡؟۔।])(?P<q2>["'»”’」』）)]*))|(?:\s*\n\s*)""",
)
# Tokens that end in a period without ending the sentence.
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gen|Gov|Col|Lt|St|Jr|Sr|Inc|Corp|Co|Ltd|No|vs|etc|approx|Jan|Feb"
    r"|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|M|Mme|Mlle|MM|Dr|cf|p|ex|av|bzw|z\.B|ca|Nr|Abs|г|ул|т\.е)\.)$"
)


def split_sentences(text: str, max_length: int = 1500) -> list[Span]:
    """Sentence spans of ``text``; very long runs are cut so no span exceeds ``max_length``."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        # Closing quotes belong to the sentence they close.
        end = match.start() + len(match.group("q1") or match.group("q2") or "")
        if end <= start:
            start = max(start, match.end())
            continue
        if match.group("glued") is not None and not _glued_boundary(text, end):
            continue
        if "\n" not in match.group(0) and _ABBREVIATION.search(text[max(start, end - 12) : end]):
            continue
        _append(spans, text, start, end, max_length)
        start = match.end()
    if start < len(text):
        _append(spans, text, start, len(text), max_length)
    return spans


def _glued_boundary(text: str, after: int) -> bool:
    """A full stop with no space after it ("...Peskov.Le Royaume-Uni", from flattened pages) ends a
    sentence when a lower-case word ends before it and a capitalised word starts after it; not in
    a domain or URL ("example.com", "www.site.Com"), a version ("2.0") or initials ("U.S.", "J.R.R.")."""
    if not (text[after - 2].islower() and text[after].isupper() and text[after + 1].islower()):
        return False
    word_start = after - 1
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word_end = after
    while word_end < len(text) and not text[word_end].isspace():
        word_end += 1
    before, following = text[word_start : after - 1], text[after:word_end].rstrip(".!?,;:")
    return not any(c in before or c in following for c in "./@:\\")


def _append(spans: list[Span], text: str, start: int, end: int, max_length: int) -> None:
    while end - start > max_length:
        cut = text.rfind(" ", start, start + max_length)
        cut = cut if cut > start else start + max_length
        spans.append(Span(start, cut))
        start = cut + 1
    # Strip surrounding white space so evidence spans start on a character.
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))
