"""Records -> flat tables of claims, incidents and entities (pyarrow), written as CSV or Parquet.

Column names and order are part of the public contract (``docs/export-mapping.md``) and
pinned by a test: pandas and spreadsheet users script against them. One row per claim,
incident or entity; list columns are Arrow lists in Parquet and ``;``-joined text in CSV.
A fact's first evidence span fills ``evidence_start``/``evidence_end``/``evidence_text``;
further spans are in ``evidence_more`` as ``start-end`` items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cyberops.export.common import ExportError, ExportOptions, selected, span_text
from cyberops.record import Record, Span

_STR = pa.string()
_INT = pa.int64()
_LIST = pa.list_(pa.string())

_DOCUMENT = [
    ("document_id", _STR),
    ("url", _STR),
    ("published", _STR),
    ("language", _STR),
]
_EVIDENCE = [
    ("evidence_start", _INT),
    ("evidence_end", _INT),
    ("evidence_text", _STR),
    ("evidence_more", _LIST),
]

CLAIM_SCHEMA = pa.schema(
    [
        *_DOCUMENT,
        ("claim_id", _STR),
        ("kind", _STR),
        ("speaker", _STR),
        ("speaker_role", _STR),
        ("speaker_state", _STR),
        ("subject_state", _STR),
        ("subject_actor", _STR),
        ("measure", _STR),
        ("hedged", pa.bool_()),
        ("incident_id", _STR),
        ("cues", _LIST),
        *_EVIDENCE,
    ]
)
INCIDENT_SCHEMA = pa.schema(
    [
        *_DOCUMENT,
        ("incident_id", _STR),
        ("status", _STR),
        ("types", _LIST),
        ("victim_states", _LIST),
        ("victim_sectors", _LIST),
        ("attributed_states", _LIST),
        ("actors", _LIST),
        *_EVIDENCE,
    ]
)
ENTITY_SCHEMA = pa.schema(
    [
        *_DOCUMENT,
        ("entity_id", _STR),
        ("name", _STR),
        ("type", _STR),
        ("state", _STR),
        ("role", _STR),
        ("aliases", _LIST),
        ("misp_uuid", _STR),
        ("mitre_id", _STR),
        ("mention_count", _INT),
        *_EVIDENCE,
    ]
)


def _document(record: Record) -> dict[str, Any]:
    return {"document_id": record.id, "url": record.url, "published": record.published, "language": record.language}


def _evidence(record: Record, spans: list[Span]) -> dict[str, Any]:
    ordered = sorted(spans)
    first = ordered[0] if ordered else None
    return {
        "evidence_start": first.start if first else None,
        "evidence_end": first.end if first else None,
        "evidence_text": span_text(record, first) if first else None,
        "evidence_more": [f"{s.start}-{s.end}" for s in ordered[1:]],
    }


def _claim_rows(record: Record) -> Iterable[dict[str, Any]]:
    for c in record.claims:
        yield {
            **_document(record),
            "claim_id": c.id,
            "kind": c.kind,
            "speaker": c.speaker.name,
            "speaker_role": c.speaker.role,
            "speaker_state": c.speaker_state,
            "subject_state": c.subject_state,
            "subject_actor": c.subject_actor,
            "measure": c.measure,
            "hedged": c.hedged,
            "incident_id": c.incident,
            "cues": list(c.cues),
            **_evidence(record, c.evidence),
        }


def _incident_rows(record: Record) -> Iterable[dict[str, Any]]:
    for i in record.incidents:
        yield {
            **_document(record),
            "incident_id": i.id,
            "status": i.status,
            "types": list(i.types),
            "victim_states": list(i.victim_states),
            "victim_sectors": list(i.victim_sectors),
            "attributed_states": list(i.attributed_states),
            "actors": list(i.actors),
            **_evidence(record, i.evidence),
        }


def _entity_rows(record: Record) -> Iterable[dict[str, Any]]:
    for e in record.entities:
        yield {
            **_document(record),
            "entity_id": e.id,
            "name": e.name,
            "type": e.type,
            "state": e.state,
            "role": e.role,
            "aliases": list(e.aliases),
            "misp_uuid": e.kb.get("misp"),
            "mitre_id": e.kb.get("mitre"),
            "mention_count": len(e.mentions),
            **_evidence(record, e.mentions),
        }


TABLES: dict[str, tuple[pa.Schema, Callable[[Record], Iterable[dict[str, Any]]]]] = {
    "claims": (CLAIM_SCHEMA, _claim_rows),
    "incidents": (INCIDENT_SCHEMA, _incident_rows),
    "entities": (ENTITY_SCHEMA, _entity_rows),
}


def to_table(name: str, records: Iterable[Record], options: ExportOptions | None = None) -> pa.Table:
    """The ``claims``, ``incidents`` or ``entities`` table of the records."""
    try:
        schema, rows = TABLES[name]
    except KeyError:
        raise ExportError(f"no table {name!r}; choose one of {', '.join(TABLES)}") from None
    options = options or ExportOptions()
    data = [row for record in selected(records, options) for row in rows(record)]
    return pa.Table.from_pylist(data, schema=schema)


def flatten_lists(table: pa.Table, separator: str = ";") -> pa.Table:
    """List columns joined into text, for CSV (which has no lists)."""
    columns = []
    for field in table.schema:
        column = table.column(field.name)
        if pa.types.is_list(field.type):
            column = pa.array([separator.join(v) if v else "" for v in column.to_pylist()], type=_STR)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def write_csv(table: pa.Table, sink: Path | Any) -> None:
    pacsv.write_csv(flatten_lists(table), sink)


def write_parquet(table: pa.Table, sink: Path | Any) -> None:
    pq.write_table(table, sink)
