"""Inputs to Articles: files, directories, JSONL, URLs and stdin.

:func:`iter_articles` never raises for one bad document: it yields the
:class:`InputError` in the article's place so a batch can report it and go
on. Every path, text or HTML, ends in the same layout: the headline as the
first paragraph, then the body, paragraphs separated by a blank line.
``Article.text`` is final; every offset the analyzer emits points into it.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from cyberops.errors import EmptyDocumentError, InputError, TooLargeError
from cyberops.ingest.decode import decode_bytes
from cyberops.ingest.fetch import Resolver, fetch
from cyberops.ingest.furniture import clean_text
from cyberops.ingest.html import extract_html
from cyberops.ingest.identity import content_id
from cyberops.record import Article
from cyberops.settings import Settings

_HTML_SUFFIXES = (".html", ".htm")
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_WARC_SUFFIXES = (".warc", ".warc.gz")
_DIRECTORY_SUFFIXES = (*_HTML_SUFFIXES, ".txt", *_JSONL_SUFFIXES, *_WARC_SUFFIXES)
_STDIN = "<stdin>"
_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p>", b"<article")


def iter_articles(
    inputs: list[str],
    settings: Settings,
    stdin: BinaryIO | None = None,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
) -> Iterator[Article | InputError]:
    """Articles from each input in turn, or the error that stopped one document.

    An input is ``-`` (stdin: HTML, JSONL or text, sniffed), an http(s) URL, a
    directory (recursed over *.html, *.htm, *.txt, *.jsonl, *.jsonl.gz, *.warc,
    *.warc.gz, in sorted order) or a file, read by its suffix (unknown suffixes as text).
    """
    for item in inputs:
        if item == "-":
            yield from _guard(_STDIN, lambda: _from_stdin(stdin, settings))
        elif item.startswith(("http://", "https://")):
            yield from _guard(item, lambda item=item: [_from_url(item, settings, client, resolve)])
        elif os.path.isdir(item):
            for path in sorted(Path(item).rglob("*")):
                if path.is_file() and path.name.lower().endswith(_DIRECTORY_SUFFIXES):
                    yield from _guard(str(path), lambda path=path: _from_file(path, settings))
        else:
            yield from _guard(item, lambda item=item: _from_file(Path(item), settings))


def article_from_dict(data: dict[str, Any], source: str, settings: Settings) -> Article:
    """An Article from a JSONL line ``{id, text | html, url?, language?, title?, published?, outlet?}``."""
    url = data.get("url")
    if data.get("html"):
        article = article_from_html(data["html"], source, settings, url=url, article_id=data.get("id"))
    elif data.get("text"):
        article = article_from_text(data["text"], source, article_id=data.get("id"), url=url)
    else:
        raise InputError(source, 'the line has neither "text" nor "html"; add one of them')
    article.title = data.get("title") or article.title
    article.language = data.get("language")
    article.outlet = data.get("outlet")
    # The input's own date is metadata the source vouches for; it wins over a guess from the page.
    article.published = data.get("published") or article.published
    return article


def article_from_text(raw: str, source: str, article_id: str | None = None, url: str | None = None) -> Article:
    """An Article from flattened page text: furniture removed, headline first."""
    cleaned = clean_text(raw)
    if not cleaned.text.strip():
        raise EmptyDocumentError(source, "empty document")
    return Article(
        id=str(article_id) if article_id else content_id(cleaned.text),
        text=cleaned.text,
        url=url,
        title=cleaned.title,
        raw_text=raw,
    )


def article_from_html(
    html: str | bytes,
    source: str,
    settings: Settings,
    url: str | None = None,
    article_id: str | None = None,
    declared_charset: str | None = None,
) -> Article:
    """An Article from an HTML page: trafilatura's main text, htmldate's date."""
    page = extract_html(html, url, source, settings, declared_charset)
    return Article(
        id=str(article_id) if article_id else content_id(page.text),
        text=page.text,
        url=url,
        title=page.title,
        published=page.published,
        raw_text=page.raw_text,
    )


def _guard(source: str, produce: Any) -> Iterator[Article | InputError]:
    """Run ``produce`` and yield its articles, or the error it stopped on."""
    try:
        yield from produce()
    except InputError as error:
        yield error
    except (OSError, ValueError, RecursionError) as error:
        yield InputError(source, f"could not be read ({type(error).__name__}: {error})")


def _from_file(path: Path, settings: Settings) -> Iterator[Article | InputError]:
    source = str(path)
    if not path.exists():
        raise InputError(source, "no such file; check the path")
    name = path.name.lower()
    if name.endswith(_JSONL_SUFFIXES):
        yield from _from_jsonl(path, settings)
        return
    if name.endswith(_WARC_SUFFIXES):
        # Imported here because warc builds on this module's article_from_html; an archive has no
        # size cap of its own, each record has.
        from cyberops.ingest.warc import iter_warc_articles

        yield from iter_warc_articles(path, settings)
        return
    size = path.stat().st_size
    if size > settings.max_bytes:
        raise TooLargeError(source, f"{size:,} bytes is over the limit of {settings.max_bytes:,}; raise --max-bytes")
    data = path.read_bytes()
    if name.endswith(_HTML_SUFFIXES):
        yield article_from_html(data, source, settings)
    else:
        yield _article_from_text_bytes(data, source)


def _article_from_text_bytes(data: bytes, source: str) -> Article:
    if not data.strip():
        raise EmptyDocumentError(source, "empty document")
    return article_from_text(decode_bytes(data, source), source)


def _from_jsonl(path: Path, settings: Settings) -> Iterator[Article | InputError]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as stream:
        yield from _jsonl_lines(stream, str(path), settings)


def _jsonl_lines(stream: Any, name: str, settings: Settings) -> Iterator[Article | InputError]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        if len(line) > settings.max_bytes:
            yield TooLargeError(source, f"the line is over the limit of {settings.max_bytes:,} bytes")
            continue
        try:
            data = json.loads(decode_bytes(line, source))
            if not isinstance(data, dict):
                raise InputError(source, "a line must be a JSON object")
            yield article_from_dict(data, source, settings)
        except InputError as error:
            yield error
        except json.JSONDecodeError as error:
            yield InputError(source, f"not valid JSON ({error.msg} at column {error.colno})")


def _from_stdin(stdin: BinaryIO | None, settings: Settings) -> Iterator[Article | InputError]:
    if stdin is None:
        raise InputError(_STDIN, "no standard input was given")
    data = stdin.read(settings.max_bytes + 1)
    if len(data) > settings.max_bytes:
        raise TooLargeError(_STDIN, f"over the limit of {settings.max_bytes:,} bytes; raise --max-bytes")
    head = data.lstrip()[:512].lower()
    if head.startswith(b"{"):
        yield from _jsonl_lines(data.splitlines(keepends=True), _STDIN, settings)
    elif any(marker in head for marker in _HTML_SNIFF):
        yield article_from_html(data, _STDIN, settings)
    else:
        yield _article_from_text_bytes(data, _STDIN)


def _from_url(url: str, settings: Settings, client: httpx.Client | None, resolve: Resolver | None) -> Article:
    page = fetch(url, settings, client=client, resolve=resolve)
    is_text = page.content_type == "text/plain"
    if is_text:
        article = article_from_text(decode_bytes(page.content, url, page.charset), url, url=page.final_url)
    else:
        article = article_from_html(page.content, url, settings, url=page.final_url, declared_charset=page.charset)
    return article
