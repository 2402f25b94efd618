"""``cyberops export``: each format from a JSON Lines file of records, through the real CLI."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from export_builders import make_record
from stix2validator import ValidationOptions, validate_file
from typer.testing import CliRunner

from cyberops.cli.main import app


@pytest.fixture
def records_file(tmp_path):
    path = tmp_path / "records.jsonl"
    lines = [json.dumps(make_record(i).to_dict(), ensure_ascii=False) for i in ("a", "b")]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def run(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_export_stix_writes_a_valid_bundle_with_the_tlp(records_file, tmp_path):
    out = tmp_path / "bundle.json"
    run("export", "stix", records_file, "-o", out, "--tlp", "green")
    assert validate_file(str(out), ValidationOptions(version="2.1", silent=True)).is_valid
    objects = json.loads(out.read_text("utf-8"))["objects"]
    assert len([o for o in objects if o["type"] == "report"]) == 2
    assert any(o.get("definition") == {"tlp": "green"} for o in objects)


def test_export_misp_feed_folder_and_dossier_event(records_file, tmp_path):
    run("export", "misp", records_file, "-o", tmp_path / "feed")
    assert len(list((tmp_path / "feed").glob("*.json"))) == 3  # two events and the manifest
    out = tmp_path / "event.json"
    run("export", "misp", records_file, "--title", "Visma dossier", "-o", out, "--tlp", "amber")
    event = json.loads(out.read_text("utf-8"))["Event"]
    assert event["info"] == "Visma dossier"
    assert "tlp:amber" in {t["name"] for t in event["Tag"]}


def test_export_tables_as_csv_and_parquet(records_file, tmp_path):
    run("export", "csv", "claims", records_file, "-o", tmp_path / "claims.csv")
    rows = list(csv.DictReader((tmp_path / "claims.csv").open(encoding="utf-8")))
    assert len(rows) == 10 and rows[0]["document_id"] == "a"
    run("export", "parquet", "entities", records_file, "-o", tmp_path / "entities.parquet")
    assert pq.read_table(tmp_path / "entities.parquet").num_rows == 12
    run("export", "csv", "incidents", records_file, "--format", "parquet", "-o", tmp_path / "incidents.parquet")
    assert pq.read_table(tmp_path / "incidents.parquet").num_rows == 6


@pytest.mark.parametrize(
    ("content", "message"), [("not json\n", "not an extraction record"), (None, "cannot read records")]
)
def test_bad_records_file_is_a_one_line_error(tmp_path, content, message):
    path = tmp_path / "records.jsonl"
    if content is not None:
        path.write_text(content, "utf-8")
    result = CliRunner().invoke(app, ["export", "stix", str(path)])
    assert result.exit_code == 1
    assert message in result.output


def test_unknown_tlp_is_rejected(records_file):
    result = CliRunner().invoke(app, ["export", "stix", str(records_file), "--tlp", "purple"])
    assert result.exit_code == 1
    assert "unknown TLP level" in result.output
