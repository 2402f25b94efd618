"""HTML page to article text, title and publication date.

trafilatura finds the main text (it leads the public extraction benchmarks);
its metadata pass calls htmldate for the date, which we ask for the
*original* publication date, not the last update. ``extensive_search`` is off:
the quick search (structured data, meta tags, URL) is about as accurate on
news pages and the extensive one scans every text node.
"""

from __future__ import annotations

from dataclasses import dataclass

import trafilatura

from cyberops.errors import EmptyDocumentError, InputError, TooLargeError
from cyberops.ingest.decode import decode_bytes
from cyberops.settings import Settings

_DATE_PARAMS = {"extensive_search": False, "original_date": True}


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
        document = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=dict(_DATE_PARAMS),
        )
    except (ValueError, TypeError, AttributeError, RecursionError) as error:
        # lxml and trafilatura raise these on pathological markup (deep nesting, broken encodings).
        raise InputError(source, f"the HTML could not be parsed ({type(error).__name__}: {error})") from error
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not body:
        raise EmptyDocumentError(source, "no article text found in the page (is it a front page or a login wall?)")
    title = (document.title or "").strip() or None
    return ExtractedPage(
        title=title,
        text=_with_headline(title, body),
        published=document.date or None,
        raw_text=body,
    )


def _with_headline(title: str | None, body: str) -> str:
    """The text path's layout: headline paragraph, then one paragraph per line."""
    paragraphs = [line.strip() for line in body.split("\n") if line.strip()]
    if title and (not paragraphs or paragraphs[0] != title):
        paragraphs.insert(0, title)
    return "\n\n".join(paragraphs)
