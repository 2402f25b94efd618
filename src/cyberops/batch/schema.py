"""The Parquet schema of record shards, and conversions between records and Arrow tables.

One row per input document. A document that was analyzed has its record in
the RECORD.md columns (entities, incidents and claims as lists of structs,
spans as lists of ``{start, end}`` structs) and a null ``error``; a document
that could not be read or analyzed has its ``error`` and ``source`` only.
``seq`` is the document's position in its input shard, so both engines
write rows in the same order and a retried batch can never add a row twice.

The schema is written out field by field, not inferred, so that every shard
of every run has the same columns and types whatever the data happens to hold
(an inferred schema turns an empty list into ``list<null>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cyberops.record import Record

SCHEMA_VERSION = "1"

SPAN = pa.struct([pa.field("start", pa.int32(), nullable=False), pa.field("end", pa.int32(), nullable=False)])
_STRINGS = pa.list_(pa.string())

ENTITY = pa.struct(
    [
        pa.field("id", pa.string()),
        pa.field("name", pa.string()),
        pa.field("type", pa.string()),
        pa.field("state", pa.string()),
        pa.field("aliases", _STRINGS),
        pa.field("kb", pa.map_(pa.string(), pa.string())),
        pa.field("mentions", pa.list_(SPAN)),
        pa.field("role", pa.string()),
    ]
)

INCIDENT = pa.struct(
    [
        pa.field("id", pa.string()),
        pa.field("status", pa.string()),
        pa.field("types", _STRINGS),
        pa.field("victim_states", _STRINGS),
        pa.field("victim_sectors", _STRINGS),
        pa.field("attributed_states", _STRINGS),
        pa.field("actors", _STRINGS),
        pa.field("evidence", pa.list_(SPAN)),
    ]
)

SPEAKER = pa.struct([pa.field("name", pa.string()), pa.field("role", pa.string()), pa.field("entity", pa.string())])

CLAIM = pa.struct(
    [
        pa.field("id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("speaker", SPEAKER),
        pa.field("speaker_state", pa.string()),
        pa.field("subject_state", pa.string()),
        pa.field("subject_actor", pa.string()),
        pa.field("measure", pa.string()),
        pa.field("hedged", pa.bool_()),
        pa.field("incident", pa.string()),
        pa.field("evidence", pa.list_(SPAN)),
        pa.field("cues", _STRINGS),
    ]
)

# The Record's own fields, in Record's order; a test pins them to the dataclass.
RECORD_FIELDS: tuple[pa.Field, ...] = (
    pa.field("id", pa.string()),
    pa.field("text", pa.string()),
    pa.field("url", pa.string()),
    pa.field("title", pa.string()),
    pa.field("language", pa.string()),
    pa.field("published", pa.string()),
    pa.field("relevant", pa.bool_()),
    pa.field("entities", pa.list_(ENTITY)),
    pa.field("incidents", pa.list_(INCIDENT)),
    pa.field("claims", pa.list_(CLAIM)),
    pa.field("outlet", pa.string()),
    pa.field("analyzer", pa.string()),
)

# Where the row came from, and why it has no record.
ROW_FIELDS: tuple[pa.Field, ...] = (
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("source", pa.string()),
    pa.field("error", pa.string()),
)

RECORD_SCHEMA = pa.schema([*ROW_FIELDS, *RECORD_FIELDS], metadata={"cyberops.schema": SCHEMA_VERSION})
_RECORD_NAMES = tuple(f.name for f in RECORD_FIELDS)


def record_row(record: Record, seq: int, source: str | None) -> dict[str, Any]:
    """The Parquet row of an analyzed document."""
    row = record.to_dict()
    for entity in row["entities"]:
        # An Arrow map is written from (key, value) pairs; sorted so that equal records give equal bytes.
        entity["kb"] = sorted(entity["kb"].items())
    row.update(seq=seq, source=source, error=None)
    return row


def error_row(seq: int, source: str, message: str, doc_id: str | None = None) -> dict[str, Any]:
    """The Parquet row of a document that could not be read or analyzed."""
    row: dict[str, Any] = dict.fromkeys(_RECORD_NAMES)
    row.update(seq=seq, source=source, error=message, id=doc_id, entities=[], incidents=[], claims=[])
    return row


def rows_to_table(rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows (``record_row`` / ``error_row``) as a table in ``seq`` order."""
    ordered = sorted(rows, key=lambda row: row["seq"])
    return pa.Table.from_pylist(ordered, schema=RECORD_SCHEMA)


def row_to_record(row: dict[str, Any]) -> Record:
    """The Record of a row read back from Parquet (``to_pylist`` form)."""
    data = {name: row.get(name) for name in _RECORD_NAMES}
    data["entities"] = [{**entity, "kb": dict(entity.get("kb") or [])} for entity in data["entities"] or []]
    return Record.from_dict(data)


def iter_rows(path: str | Path, batch_size: int = 256) -> Iterator[dict[str, Any]]:
    """Every row of a record shard, streamed a batch at a time."""
    with pq.ParquetFile(path) as shard:
        for batch in shard.iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()


def read_records(path: str | Path) -> list[Record]:
    """The records of a record shard (or of every ``*.parquet`` in a folder), in shard order; errors left out."""
    return [row_to_record(row) for file in _shard_files(path) for row in iter_rows(file) if row["error"] is None]


def read_errors(path: str | Path) -> list[tuple[str, str]]:
    """``(source, message)`` of every document that has no record."""
    return [(row["source"], row["error"]) for file in _shard_files(path) for row in iter_rows(file) if row["error"]]


def _shard_files(path: str | Path) -> list[Path]:
    path = Path(path)
    return sorted(path.glob("*.parquet")) if path.is_dir() else [path]
