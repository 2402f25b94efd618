"""``cyberops batch`` from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from batch_helpers import expected_table
from typer.testing import CliRunner

from cyberops.batch import read_records
from cyberops.batch.output import write_shard
from cyberops.cli.main import app
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings


@pytest.fixture
def env(settings: Settings, loaded: Analyzer) -> dict[str, str]:
    # The workers find the KB the session compiled.
    return {"CYBEROPS_CACHE_DIR": str(settings.cache_dir)}


def test_batch_writes_record_shards_and_prints_the_summary(
    tmp_path: Path, shards: list[Path], env: dict[str, str]
) -> None:
    out = tmp_path / "records"
    result = CliRunner().invoke(
        app, ["batch", str(shards[0]), str(shards[1]), "--out", str(out), "--workers", "1"], env=env
    )
    assert result.exit_code == 0, result.output
    assert f"written: {shards[0]} (7 documents)" in result.output
    assert "total" in result.output
    summary = json.loads((out / "batch-summary.json").read_text())
    assert [s["status"] for s in summary["shards"]] == ["written", "written"]
    assert {r.id for r in read_records(out)} >= {"en-1", "en-2", "fr-1"}


def test_a_corrupt_shard_makes_the_exit_code_1(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    result = CliRunner().invoke(app, ["batch", str(bad), "--out", str(tmp_path / "out")], env=env)
    assert result.exit_code == 1
    assert f"failed: {bad} (error: " in result.output


def test_the_ray_engine_without_ray_says_which_extra_to_install(
    tmp_path: Path, shards: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    result = CliRunner().invoke(app, ["batch", str(shards[0]), "--engine", "ray", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert 'pip install "cyberops[ray]"' in result.output


def test_load_stores_the_records_and_a_second_load_adds_nothing(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    out = tmp_path / "records"
    write_shard(expected_table(shards[0], settings, loaded), out / "en.jsonl.parquet", shards[0])
    db = f"sqlite:///{tmp_path / 'store.db'}"
    first = CliRunner().invoke(app, ["load", str(out), "--db", db])
    assert first.exit_code == 0, first.output
    assert "5 new documents of 5 records" in first.output
    second = CliRunner().invoke(app, ["load", str(out), "--db", db])
    assert "0 new documents of 5 records" in second.output
    assert "(0 new, 5 already stored, 2 errors)" in second.output


def test_load_without_record_shards_says_what_to_give(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["load", str(tmp_path), "--db", f"sqlite:///{tmp_path / 's.db'}"])
    assert result.exit_code == 2
    assert "no record shards" in result.output
