"""HTML page to article text, title and publication date.

trafilatura finds the main text and the title (it leads the public
extraction benchmarks); htmldate finds the date, asked for the *original*
publication date, not the last update. ``extensive_search`` is off:
the quick search (structured data, meta tags, URL) is about as accurate on
news pages and the extensive one scans every text node.
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura
from htmldate import find_date
from lxml.etree import LxmlError
from trafilatura.metadata import extract_title
from trafilatura.utils import load_html

from cyberops.errors import EmptyDocumentError, InputError, TooLargeError
from cyberops.ingest.decode import decode_bytes
from cyberops.settings import Settings

_MIN_BODY_WORDS = 5


@dataclass(frozen=True)
class ExtractedPage:
    title: str | None
    text: str
    published: str | None
    raw_text: str


def extract_html(
    html: str | bytes,
    url: str | None,
    source: str,
    settings: Settings | None = None,
    declared_charset: str | None = None,
) -> ExtractedPage:
    """The main text of a page, headline first, paragraphs separated by a blank line.

    Raises :class:`TooLargeError` above ``settings.max_bytes`` (checked before
    any parsing), :class:`EmptyDocumentError` when the page has no main text,
    and :class:`InputError` when the HTML cannot be parsed at all.
    """
    max_bytes = (settings or Settings()).max_bytes
    if len(html) > max_bytes:
        raise TooLargeError(source, f"{len(html):,} bytes is over the limit of {max_bytes:,}; raise --max-bytes")
    if isinstance(html, bytes):
        html = decode_bytes(html, source, declared_charset)
    if not html.strip():
        raise EmptyDocumentError(source, "empty document")
    try:
        # One parse serves all three steps; the date and title read the tree before
        # trafilatura prunes its copy. trafilatura's own metadata pass (authors,
        # site name, tags) would cost a quarter more time for fields we do not use.
        tree = load_html(html)
        if tree is None:
            raise EmptyDocumentError(source, "the page has no HTML content")
        published = find_date(tree, url=url, extensive_search=False, original_date=True)
        title = extract_title(tree)
        document = trafilatura.bare_extraction(tree, url=url, include_comments=False, include_tables=True)
    except (ValueError, TypeError, AttributeError, RecursionError, LxmlError) as error:
        # lxml and trafilatura raise these on pathological markup (deep nesting, broken encodings).
        raise InputError(source, f"the HTML could not be parsed ({type(error).__name__}: {error})") from error
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    # trafilatura falls back to all the page's text; a few words of it are a menu, not an article.
    if len(body.split()) < _MIN_BODY_WORDS:
        raise EmptyDocumentError(source, "no article text found in the page (is it a front page or a login wall?)")
    title = (title or "").strip() or None
    return ExtractedPage(
        title=title,
        text=_with_headline(title, body),
        published=published or None,
        raw_text=body,
    )


def _with_headline(title: str | None, body: str) -> str:
    """The text path's layout: headline paragraph, then one paragraph per line."""
    paragraphs = [line.strip() for line in body.split("\n") if line.strip()]
    if title and (not paragraphs or paragraphs[0] != title):
        paragraphs.insert(0, title)
    return "\n\n".join(paragraphs)
