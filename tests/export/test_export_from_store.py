"""``cyberops export`` reading the store: ``--db``, ``--since``/``--until``, ``--state`` and ``--dossier``,
through the real CLI, on a SQLite file and on a PostgreSQL server on loopback."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from export_builders import make_record
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_file
from typer.testing import CliRunner

from cyberops.cli.main import app
from cyberops.record import Claim, Record, Speaker
from cyberops.store import RecordStore
from cyberops.store.testing import TemporaryPostgres, find_postgres_bin

DOSSIER = "dos-visma"


@pytest.fixture(scope="module")
def export_postgres() -> Iterator[TemporaryPostgres]:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres() as server:
        yield server


def _later(record_id: str, published: str, speaker: str, subject: str) -> Record:
    """The example record under another id, date and text, its claims replaced by one accusation."""
    record = make_record(record_id)
    claim = Claim("c1", "attribution", Speaker(speaker), speaker_state=speaker, subject_state=subject,
                  evidence=[record.claims[0].evidence[0]])  # fmt: skip
    return dataclasses.replace(
        record,
        text=record.text + f" ({record_id})",
        url=f"https://news.example/{record_id}",
        title=f"{speaker} accuses {subject}",
        published=published,
        claims=[claim],
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store holding three records (2019 CN denial, 2021 US→RU, 2023 GB→RU) and a dossier of the first two."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("export_postgres").create_database()
    with RecordStore.open(url) as store:
        records = [make_record("a"), _later("b", "2021-06-01", "US", "RU"), _later("c", "2023-03-10", "GB", "RU")]
        for record in records:
            store.save(record, source="test")
        store.save_dossiers([{"id": DOSSIER, "key": "visma", "title": "Visma break-in", "document_ids": ["a", "b"]}])
    yield url


def run(*args: object) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def reports(bundle: Path) -> list[str]:
    assert validate_file(str(bundle), ValidationOptions(version="2.1", silent=True)).is_valid
    objects = json.loads(bundle.read_text("utf-8"))["objects"]
    return sorted(o["name"] for o in objects if o["type"] == "report")


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param([], ["CN", "GB", "US"], id="everything"),
        pytest.param(["--since", "2020-01-01"], ["GB", "US"], id="since"),
        pytest.param(["--until", "2021-06-01"], ["CN", "US"], id="until-includes-the-day"),
        pytest.param(["--since", "2020-01-01", "--until", "2022-12-31"], ["US"], id="range"),
        pytest.param(["--state", "ru"], ["CN", "GB", "US"], id="state-as-subject"),
        pytest.param(["--state", "US"], ["US"], id="state-as-speaker"),
        pytest.param(["--state", "CN", "--since", "2020-01-01"], [], id="state-and-date"),
    ],
)
def test_stix_selects_stored_records(db_url: str, tmp_path: Path, selection: list[str], expected: list[str]) -> None:
    out = tmp_path / "bundle.json"
    run("export", "stix", "--db", db_url, *selection, "-o", out)
    titles = {"CN": "China rejects accusations of hacking Visma", "US": "US accuses RU", "GB": "GB accuses RU"}
    assert reports(out) == sorted(titles[s] for s in expected)


def test_the_default_store_is_read_when_no_file_is_given(db_url, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CYBEROPS_DB", db_url)
    run("export", "csv", "claims", "--state", "RU", "-o", tmp_path / "claims.csv")
    rows = list(csv.DictReader((tmp_path / "claims.csv").open(encoding="utf-8")))
    # The selection keeps documents (a names RU in its EU sanction), and a document's table rows come whole.
    assert [r["document_id"] for r in rows] == ["a"] * 5 + ["b", "c"]
    run("export", "parquet", "entities", "--since", "2023-01-01", "-o", tmp_path / "entities.parquet")
    assert set(pq.read_table(tmp_path / "entities.parquet").column("document_id").to_pylist()) == {"c"}


def test_misp_dossier_is_one_event_with_its_galaxies(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    run("export", "misp", "--db", db_url, "--dossier", DOSSIER, "-o", out, "--tlp", "green")
    event = MISPEvent()
    event.load_file(str(out))
    assert event.info == "Visma break-in"
    tags = {t.name for t in event.tags}
    assert "tlp:green" in tags
    assert 'misp-galaxy:threat-actor="APT28"' in tags
    links = {a.value for a in event.attributes if a.type == "link"}
    assert links == {"https://news.example/article/cyber-visma-ministère", "https://news.example/b"}


def test_stix_dossier_is_a_grouping_of_its_reports(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    run("export", "stix", "--db", db_url, "--dossier", DOSSIER, "-o", out)
    assert reports(out) == ["China rejects accusations of hacking Visma", "US accuses RU"]
    objects = json.loads(out.read_text("utf-8"))["objects"]
    [grouping] = [o for o in objects if o["type"] == "grouping"]
    assert grouping["name"] == "Visma break-in"
    report_ids = {o["id"] for o in objects if o["type"] == "report"}
    assert report_ids <= set(grouping["object_refs"])


def test_records_file_input_is_kept_and_filtered_the_same_way(db_url: str, tmp_path: Path) -> None:
    with RecordStore.open(db_url) as store:
        lines = [json.dumps(store.get(i).to_dict(), ensure_ascii=False) for i in ("a", "b", "c")]
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "bundle.json"
    run("export", "stix", records, "--state", "RU", "--since", "2020-01-01", "--until", "2022-01-01", "-o", out)
    assert reports(out) == ["US accuses RU"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--dossier", "dos-nope"], "no dossier 'dos-nope'", id="unknown-dossier"),
        pytest.param(["--since", "last week"], "write it as YYYY-MM-DD", id="bad-date"),
        pytest.param(["--state", "China"], "two-letter code", id="bad-state"),
    ],
)
def test_bad_selection_is_a_one_line_error(db_url: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["export", "misp", "--db", db_url, *args])
    assert result.exit_code == 1
    assert message in result.output


def test_a_records_file_and_a_store_are_not_mixed(db_url: str, tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text(json.dumps(make_record("a").to_dict()) + "\n", "utf-8")
    result = CliRunner().invoke(app, ["export", "stix", str(records), "--db", db_url])
    assert result.exit_code == 1
    assert "not both" in result.output
