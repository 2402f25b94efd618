"""CSV and Parquet tables: stable column names, one row per fact, evidence offsets and text."""

from __future__ import annotations

import csv
import io

import pyarrow.parquet as pq
import pytest

from cyberops.export import ExportError
from cyberops.export.tabular import to_table, write_csv, write_parquet

COLUMNS = {
    "claims": [
        "document_id", "url", "published", "language", "claim_id", "kind", "speaker", "speaker_role",
        "speaker_state", "subject_state", "subject_actor", "measure", "hedged", "incident_id", "cues",
        "evidence_start", "evidence_end", "evidence_text", "evidence_more",
    ],
    "incidents": [
        "document_id", "url", "published", "language", "incident_id", "status", "types", "victim_states",
        "victim_sectors", "attributed_states", "actors", "evidence_start", "evidence_end", "evidence_text",
        "evidence_more",
    ],
    "entities": [
        "document_id", "url", "published", "language", "entity_id", "name", "type", "state", "role", "aliases",
        "misp_uuid", "mitre_id", "mention_count", "evidence_start", "evidence_end", "evidence_text", "evidence_more",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", COLUMNS)
def test_column_names_are_stable(record, name):
    assert to_table(name, [record]).column_names == COLUMNS[name]


def test_one_row_per_claim_with_evidence_offsets_and_text(record):
    rows = to_table("claims", [record]).to_pylist()
    assert [r["kind"] for r in rows] == [c.kind for c in record.claims]
    denial = rows[1]
    assert (denial["speaker"], denial["speaker_state"], denial["subject_state"]) == ("Hua Chunying", "CN", "CN")
    assert record.text[denial["evidence_start"] : denial["evidence_end"]] == denial["evidence_text"]
    assert "rejected the accusation" in denial["evidence_text"]


def test_csv_joins_lists_and_reads_back(record, tmp_path):
    path = tmp_path / "entities.csv"
    write_csv(to_table("entities", [record]), path)
    rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
    apt28 = next(r for r in rows if r["name"] == "APT28")
    assert apt28["aliases"] == "Fancy Bear;Sofacy"
    assert apt28["mitre_id"] == "G0007"


def test_parquet_keeps_lists_and_types(record, tmp_path):
    path = tmp_path / "incidents.parquet"
    write_parquet(to_table("incidents", [record]), path)
    table = pq.read_table(path)
    assert table.column_names == COLUMNS["incidents"]
    first = table.to_pylist()[0]
    assert first["victim_sectors"] == ["technology"]
    assert isinstance(first["evidence_start"], int)


def test_unknown_table_is_a_clear_error(record):
    with pytest.raises(ExportError, match="claims, incidents, entities"):
        to_table("victims", [record])


def test_public_api_of_the_export_package():
    import cyberops.export

    assert sorted(cyberops.export.__all__) == [
        "Dossier", "ExportError", "ExportOptions", "Selection", "TLP_LEVELS", "filter_records", "normalize_tlp",
        "read_records", "select_from_store", "store_dossier", "write_misp", "write_stix", "write_table",
    ]  # fmt: skip
