"""WARC archives in, Articles out (warcio): .warc and .warc.gz.

Each ``response`` record (and ``resource`` record, as wget and browsers'
archivers write them) whose body is HTML or plain text becomes an Article;
its url is the record's ``WARC-Target-URI`` and its id follows the canonical
URL, so a page archived twice, or also fetched live, gets one id. Records of
other types (requests, metadata, revisits), other media (images, scripts)
and non-2xx responses are skipped without a word: an archive is mostly those.

An archive is read from a path, or from an open binary stream (seekable:
the end of the archive is checked by seeking back), which is how the batch
job reads archives in object stores; the path then only names it.

A record that cannot be made into an article is yielded as an
:class:`~cyberops.errors.InputError` named ``path#offset`` and the next one
is read. A corrupt or truncated archive ends with one error saying where it
broke; every record before that point has already been yielded.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

from cyberops.errors import EmptyDocumentError, InputError, TooLargeError
from cyberops.ingest.decode import decode_bytes
from cyberops.ingest.fetch import content_type_parts
from cyberops.ingest.identity import url_id
from cyberops.ingest.sources import article_from_html, article_from_text
from cyberops.record import Article
from cyberops.settings import Settings

WARC_SUFFIXES = (".warc", ".warc.gz")
_RECORD_TYPES = frozenset({"response", "resource"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain"})
# What a broken archive makes warcio or the decompressor raise.
_BROKEN = (ArchiveLoadFailed, zlib.error, EOFError, ValueError, OSError)


def is_warc(path: str | Path) -> bool:
    return str(path).lower().endswith(WARC_SUFFIXES)


def iter_warc_articles(
    path: str | Path, settings: Settings, stream: io.BufferedIOBase | None = None
) -> Iterator[Article | InputError]:
    """Articles from the HTML and text responses of a WARC file, or the error of each bad record.

    With ``stream`` (the archive's bytes from its start, seekable), ``path`` only names the archive in
    messages (it may be a URI) and nothing is opened.
    """
    name = str(path) if stream is not None else str(Path(path))
    if stream is None and not Path(path).is_file():
        yield InputError(name, "no such file; check the path")
        return
    with nullcontext(stream) if stream is not None else Path(path).open("rb") as stream:
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        archive = ArchiveIterator(stream, check_digests=True)
        records = iter(archive)
        end = 0
        count = 0
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except _BROKEN as error:
                yield _broken(name, end, count, error)
                return
            start = archive.offset
            if record.format != "warc":
                # warcio also reads ARC files, and reads text that is neither as ARC headers.
                yield InputError(f"{name}#{start}", f"not a WARC archive (a {record.format} record); check the file")
                return
            try:
                result = _article(record, f"{name}#{start}", settings)
                # Reading to the end is what tells a complete record from a cut one.
                archive.read_to_end()
                cut = _missing_bytes(record)
            except _BROKEN as error:
                yield _broken(name, end, count, error)
                return
            if cut:
                yield InputError(
                    f"{name}#{start}",
                    f"the archive is truncated: its last record lacks {cut:,} bytes; re-download or re-create it",
                )
                return
            if record.digest_checker.passed is False:
                problems = "; ".join(str(problem) for problem in record.digest_checker.problems)
                yield InputError(f"{name}#{start}", f"the record fails its digest check ({problems})")
            elif result is not None:
                yield result
            end = archive.get_record_offset() + archive.get_record_length()
            count += 1
        tail = _unread_tail(stream, end, size)
        if tail:
            # warcio ends quietly on a gzip member cut short; the bytes left over give it away.
            yield InputError(
                f"{name}#{end}",
                f"the archive is corrupt or truncated: {tail:,} bytes after record {count} do not form a record",
            )


def _article(record: Any, source: str, settings: Settings) -> Article | InputError | None:
    """The record's Article, its error, or None for a record that is no article (skipped quietly)."""
    if record.rec_type not in _RECORD_TYPES:
        return None
    url = record.rec_headers.get_header("WARC-Target-URI")
    if record.http_headers is not None:
        status = record.http_headers.get_statuscode()
        if not (status or "").startswith("2"):
            return None
        content_type = record.http_headers.get_header("Content-Type")
    else:
        content_type = record.rec_headers.get_header("Content-Type")
    mime, charset = content_type_parts(content_type)
    if mime not in _HTML_TYPES and mime not in _TEXT_TYPES:
        return None
    if not url:
        return InputError(source, "the record has no WARC-Target-URI")
    source = f"{source} ({url})"
    body = record.content_stream().read(settings.max_bytes + 1)
    if len(body) > settings.max_bytes:
        return TooLargeError(source, f"the body is over the limit of {settings.max_bytes:,} bytes; raise --max-bytes")
    try:
        if mime in _TEXT_TYPES:
            if not body.strip():
                raise EmptyDocumentError(source, "empty document")
            article = article_from_text(decode_bytes(body, source, charset), source, url=url)
        else:
            article = article_from_html(body, source, settings, url=url, declared_charset=charset)
    except InputError as error:
        return error
    except (ValueError, RecursionError) as error:
        return InputError(source, f"could not be read ({type(error).__name__}: {error})")
    article.id = url_id(url)
    return article


def _missing_bytes(record: Any) -> int:
    """How many bytes of the record's declared Content-Length the file did not have."""
    stream = record.raw_stream
    return stream.limit if isinstance(stream, LimitReader) else 0


def _unread_tail(stream: Any, end: int, size: int) -> int:
    """Bytes after the last complete record that are more than the blank lines that close a record."""
    if size <= end:
        return 0
    stream.seek(end)
    tail = stream.read(64)
    if size - end <= len(tail) and not tail.strip():
        return 0
    return size - end


def _broken(name: str, end: int, count: int, error: BaseException) -> InputError:
    return InputError(
        f"{name}#{end}",
        f"the archive is corrupt or truncated after record {count} ({type(error).__name__}: {error})",
    )
