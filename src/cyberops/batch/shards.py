"""Input shards in, documents out: JSONL (plain or gzip), WARC and Parquet.

A shard is read in one pass into *documents*: flat dicts with the same keys
whatever the format (:data:`DOC_FIELDS`), so that they travel unchanged
through a process pipe or a Ray block. A JSONL line or a Parquet row is kept
as given (``prepared`` false) and made into an Article by :func:`prepare` in
the worker, where the HTML extraction it may need belongs; a WARC record
arrives already made into an Article by :func:`~cyberops.ingest.warc.iter_warc_articles`.

A shard is a local path or an object-store URI (``s3://…``); its bytes come
through :mod:`cyberops.batch.storage`, so every reader takes both, and a
document's ``source`` names the shard as given.

A bad line or record becomes a document with its ``error`` and the shard
goes on. A shard that cannot be read to its end (a broken gzip stream, a
truncated archive, a file that is no Parquet) raises :class:`ShardError`
after the documents before the break: the engines then write nothing for
that shard, so it is reported and skipped, and a later run tries it again.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cyberops.batch import storage
from cyberops.errors import CyberopsError, InputError
from cyberops.ingest.decode import decode_bytes
from cyberops.ingest.sources import article_from_dict
from cyberops.record import Article
from cyberops.settings import Settings

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz")
PARQUET_SUFFIXES = (".parquet",)
SHARD_SUFFIXES = (*JSONL_SUFFIXES, *WARC_SUFFIXES, *PARQUET_SUFFIXES)

# What a JSONL line or a Parquet row may hold (article_from_dict reads these), plus the Article's raw text.
INPUT_FIELDS = ("id", "text", "html", "url", "title", "language", "published", "outlet")
# "line": a JSONL line still to parse (iter_documents(raw_lines=True)), which `parsed` parses where it is analyzed.
DOC_FIELDS = ("seq", "source", "error", "prepared", *INPUT_FIELDS, "raw_text", "line")
DOC_SCHEMA = pa.schema(
    [
        pa.field("seq", pa.int64(), nullable=False),
        pa.field("source", pa.string()),
        pa.field("error", pa.string()),
        pa.field("prepared", pa.bool_()),
        *(pa.field(name, pa.string()) for name in (*INPUT_FIELDS, "raw_text")),
        pa.field("line", pa.binary()),
    ]
)
# The start of the messages iter_warc_articles gives when the archive itself, not one record, is broken.
_ARCHIVE_BROKEN = ("the archive is", "not a WARC archive", "no such file")
_MISSING = "no such file; check the path"
# What a broken gzip stream, a file that is no Parquet or a failing object store makes the readers raise.
_BROKEN = (OSError, EOFError, zlib.error, pa.ArrowException)


class ShardError(CyberopsError):
    """A shard cannot be read to its end; none of its records are written."""

    def __init__(self, shard: str, message: str) -> None:
        super().__init__(f"{shard}: {message}")
        self.shard = shard
        self.message = message


def is_jsonl(location: str | Path) -> bool:
    return storage.base_name(location).lower().endswith(JSONL_SUFFIXES)


def iter_documents(location: str | Path, settings: Settings, raw_lines: bool = False) -> Iterator[dict[str, Any]]:
    """Every document of a shard (a path or a URI), numbered from 0 by ``seq``; raises ShardError where the
    shard breaks. With ``raw_lines``, a JSONL line is passed on unparsed (its ``line``), for :func:`parsed`
    to parse in the process that analyzes it."""
    location = storage.as_location(location)
    name = storage.base_name(location).lower()
    try:
        present = storage.is_file(location)
    except OSError as error:
        raise ShardError(location, f"cannot be looked up ({type(error).__name__}: {error})") from error
    if not present:
        raise ShardError(location, _MISSING)
    if name.endswith(JSONL_SUFFIXES):
        for seq, number, line in jsonl_lines(location):
            source = f"{location}:{number}"
            if raw_lines:
                yield {"seq": seq, "source": source, "line": line}
            else:
                yield jsonl_document(seq, source, line, settings)
    elif name.endswith(WARC_SUFFIXES):
        yield from _warc_documents(location, settings)
    elif name.endswith(PARQUET_SUFFIXES):
        yield from _parquet_documents(location)
    else:
        raise ShardError(location, f"not a shard: name it with one of {', '.join(SHARD_SUFFIXES)}")


def jsonl_lines(location: str) -> Iterator[tuple[int, int, bytes]]:
    """``(seq, line number, line)`` of each non-blank line of a JSONL shard (plain or gzip), raw: the local
    engine's parent slices these without parsing them. Raises ShardError where the shard breaks."""
    seq = 0
    try:
        with storage.open_stream(location) as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                yield seq, number, line
                seq += 1
    except FileNotFoundError as error:
        raise ShardError(location, _MISSING) from error
    except _BROKEN as error:
        message = f"cannot be read past document {seq} ({type(error).__name__}: {error})"
        raise ShardError(location, message) from error


def parsed(doc: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The document, its JSONL line parsed where it came raw (``iter_documents(raw_lines=True)``)."""
    if doc.get("line") is None:
        return doc
    return jsonl_document(doc["seq"], doc["source"], doc["line"], settings)


def prepare(doc: dict[str, Any], settings: Settings) -> Article:
    """The Article of a document (:func:`parsed` first); raises InputError for a document that has none."""
    source = doc["source"]
    if doc.get("error"):
        raise InputError(source, doc["error"])
    if doc.get("prepared"):
        return Article(
            id=doc["id"],
            text=doc["text"],
            url=doc.get("url"),
            title=doc.get("title"),
            language=doc.get("language"),
            published=doc.get("published"),
            outlet=doc.get("outlet"),
            raw_text=doc.get("raw_text"),
        )
    data = {name: doc[name] for name in INPUT_FIELDS if doc.get(name) is not None}
    return article_from_dict(data, source, settings)


def documents_table(docs: list[dict[str, Any]]) -> pa.Table:
    """Documents as an Arrow table of :data:`DOC_SCHEMA` (a Ray block)."""
    return pa.Table.from_pylist([{name: doc.get(name) for name in DOC_FIELDS} for doc in docs], schema=DOC_SCHEMA)


# -- readers ------------------------------------------------------------------------------------


def _document(seq: int, source: str, fields: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = dict.fromkeys(DOC_FIELDS)
    doc.update(seq=seq, source=source, prepared=False)
    for name in INPUT_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if name in ("text", "html") and not isinstance(value, str):
            return _failed(seq, source, f'"{name}" must be a string, not {type(value).__name__}')
        doc[name] = value if isinstance(value, str) else str(value)
    return doc


def _failed(seq: int, source: str, message: str) -> dict[str, Any]:
    doc: dict[str, Any] = dict.fromkeys(DOC_FIELDS)
    doc.update(seq=seq, source=source, error=message, prepared=False)
    return doc


def jsonl_document(seq: int, source: str, line: bytes, settings: Settings) -> dict[str, Any]:
    """The document of one raw JSONL line (``source`` names the shard and line), or one with its error."""
    if len(line) > settings.max_bytes:
        return _failed(seq, source, f"the line is over the limit of {settings.max_bytes:,} bytes")
    try:
        data = json.loads(decode_bytes(line, source))
    except InputError as error:
        return _failed(seq, source, error.message)
    except json.JSONDecodeError as error:
        return _failed(seq, source, f"not valid JSON ({error.msg} at column {error.colno})")
    if not isinstance(data, dict):
        return _failed(seq, source, "a line must be a JSON object")
    return _document(seq, source, data)


def _warc_documents(location: str, settings: Settings) -> Iterator[dict[str, Any]]:
    from cyberops.ingest.warc import iter_warc_articles

    try:
        with storage.open_file(location) as stream:
            yield from _warc_records(iter_warc_articles(location, settings, stream=stream), location)
    except OSError as error:  # the archive could not be opened; a break inside it is an InputError of warc's
        raise ShardError(location, f"cannot be read ({type(error).__name__}: {error})") from error


def _warc_records(items: Iterator[Article | InputError], location: str) -> Iterator[dict[str, Any]]:
    for seq, item in enumerate(items):
        if isinstance(item, InputError):
            if item.message.startswith(_ARCHIVE_BROKEN):
                raise ShardError(item.source, item.message)
            yield _failed(seq, item.source, item.message)
            continue
        doc: dict[str, Any] = dict.fromkeys(DOC_FIELDS)
        doc.update(
            seq=seq,
            source=f"{location}#{seq} ({item.url})",
            prepared=True,
            id=item.id,
            text=item.text,
            url=item.url,
            title=item.title,
            language=item.language,
            published=item.published,
            outlet=item.outlet,
            raw_text=item.raw_text,
        )
        yield doc


def _parquet_documents(location: str) -> Iterator[dict[str, Any]]:
    seq = 0
    try:
        with storage.open_file(location) as source, pq.ParquetFile(source) as shard:
            columns = [name for name in INPUT_FIELDS if name in shard.schema_arrow.names]
            for batch in shard.iter_batches(batch_size=256, columns=columns):
                for row in batch.to_pylist():
                    yield _document(seq, f"{location}#{seq}", row)
                    seq += 1
    except _BROKEN as error:
        message = f"cannot be read past document {seq} ({type(error).__name__}: {error})"
        raise ShardError(location, message) from error
