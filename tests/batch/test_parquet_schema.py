"""The Parquet schema of record shards: records read back equal the JSON records."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow.parquet as pq
from batch_helpers import ESPIONNAGE, FOOTBALL, INDICTMENT

from cyberops.batch.schema import (
    RECORD_FIELDS,
    RECORD_SCHEMA,
    error_row,
    read_errors,
    read_records,
    record_row,
    rows_to_table,
)
from cyberops.nlp.analyzer import Analyzer
from cyberops.record import Article, Claim, Entity, Incident, Record, Span, Speaker


def full_record() -> Record:
    """Every field set, nested ones included, so nothing can be dropped on the way."""
    return Record(
        id="doc-1",
        text="China denied that APT10 hacked a Norwegian firm.",
        url="https://news.example/1",
        title="Denial",
        language="en",
        published="2019-02-19",
        relevant=True,
        entities=[
            Entity(
                "e1",
                "APT10",
                "threat_actor",
                "CN",
                ["Stone Panda", "MenuPass"],
                {"misp": "u-1", "mitre": "G0045"},
                [Span(18, 23)],
                None,
            ),
            Entity("e2", "Hua Chunying", "person", "CN", [], {}, [], "spokeswoman"),
        ],
        incidents=[Incident("i1", "reported", ["espionage"], ["NO"], ["technology"], ["CN"], ["APT10"], [Span(0, 48)])],
        claims=[
            Claim(
                "c1",
                "denial",
                Speaker("Hua Chunying", "spokeswoman", "e2"),
                "CN",
                "CN",
                "APT10",
                None,
                True,
                "i1",
                [Span(0, 48), Span(2, 7)],
                ["denied"],
            ),
            Claim("c2", "response", Speaker(), "US", None, None, "indictment", False, None, [], []),
        ],
        outlet="Example",
        analyzer="cyberops/test",
    )


def test_the_schema_has_every_field_of_the_record_and_nothing_else() -> None:
    assert [f.name for f in RECORD_FIELDS] == [f.name for f in dataclasses.fields(Record)]
    assert RECORD_SCHEMA.names[:3] == ["seq", "source", "error"]


def test_records_read_back_from_parquet_equal_the_json_records(tmp_path: Path, analyzer: Analyzer) -> None:
    analyzed = [
        analyzer.analyze(Article(id=f"a{n}", text=text)) for n, text in enumerate([INDICTMENT, FOOTBALL, ESPIONNAGE])
    ]
    records = [full_record(), *analyzed]
    assert any(r.claims for r in analyzed) and not all(r.relevant for r in analyzed)
    table = rows_to_table([record_row(r, seq, f"src:{seq}") for seq, r in enumerate(records)])
    pq.write_table(table, tmp_path / "r.parquet")
    back = read_records(tmp_path / "r.parquet")
    # The JSON a record becomes, before and after its trip through Parquet.
    assert [json.dumps(r.to_dict(), sort_keys=True) for r in back] == [
        json.dumps(r.to_dict(), sort_keys=True) for r in records
    ]
    assert back[0].entities[0].kb == {"misp": "u-1", "mitre": "G0045"}


def test_rows_are_written_in_seq_order_with_errors_apart(tmp_path: Path) -> None:
    rows = [
        error_row(2, "in.jsonl:3", "not valid JSON"),
        record_row(full_record(), 0, "in.jsonl:1"),
        error_row(1, "in.jsonl:2", "empty document", "x"),
    ]
    table = rows_to_table(rows)
    assert table["seq"].to_pylist() == [0, 1, 2]
    pq.write_table(table, tmp_path / "r.parquet")
    assert [r.id for r in read_records(tmp_path)] == ["doc-1"]
    assert read_errors(tmp_path) == [("in.jsonl:2", "empty document"), ("in.jsonl:3", "not valid JSON")]


def test_an_empty_table_keeps_the_schema() -> None:
    assert rows_to_table([]).schema.equals(RECORD_SCHEMA)
