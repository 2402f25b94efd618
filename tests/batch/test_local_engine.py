"""The local engine: worker processes, resumable output, corrupt shards, killed workers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from batch_helpers import KillingAnalyzer, docs_en, expected_table, write_corrupt_gzip, write_jsonl

from cyberops.batch import (
    SUMMARY_NAME,
    BatchError,
    ShardSummary,
    iter_documents,
    read_errors,
    read_records,
    run_batch,
)
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings


def written(path: Path):
    return pq.read_table(path).replace_schema_metadata(None)


def test_two_workers_write_what_one_process_computes_and_a_rerun_skips_it(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    corrupt = write_corrupt_gzip(shards[0].parent / "cut.jsonl.gz", docs_en())
    out = tmp_path / "out"
    summary = run_batch([shards[0].parent], out, settings, engine="local", workers=2)

    by_name = {Path(s.input).name: s for s in summary.shards}
    assert sorted(by_name) == ["cut.jsonl.gz", "en.jsonl", "fr.jsonl.gz", "pages.warc.gz"]
    for shard in shards:
        expected = expected_table(shard, settings, loaded).replace_schema_metadata(None)
        assert written(out / f"{shard.name}.parquet").equals(expected), shard.name
    en = by_name["en.jsonl"]
    assert (en.status, en.documents, en.errors) == ("written", 7, 2)
    assert en.relevant == sum(r.relevant for r in read_records(out / "en.jsonl.parquet")) >= 2
    assert by_name["fr.jsonl.gz"].errors == 1  # the blank article
    assert by_name["cut.jsonl.gz"].status == "failed" and "cannot be read past" in by_name["cut.jsonl.gz"].message
    assert not (out / "cut.jsonl.gz.parquet").exists()
    assert json.loads((out / SUMMARY_NAME).read_text())["documents"] == summary.documents
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind

    # A re-run redoes only what failed, and an input that changed since.
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.parquet")}
    corrupt.unlink()
    write_jsonl(shards[1], [{"id": "fr-9", "text": "Un texte tout à fait ordinaire sur la pluie et le beau temps."}])
    again = run_batch([*shards], out, settings, engine="local", workers=1)
    assert [s.status for s in again.shards] == ["skipped", "written", "skipped"]
    assert again.shards[0].documents == en.documents and again.shards[0].relevant == en.relevant
    assert (out / "en.jsonl.parquet").stat().st_mtime_ns == before["en.jsonl.parquet"]
    assert [r.id for r in read_records(out / "fr.jsonl.gz.parquet")] == ["fr-9"]


def test_a_killed_worker_loses_and_doubles_nothing(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    flag = tmp_path / "killed"
    summary = run_batch([shards[0]], tmp_path / "out", settings, workers=2, make_analyzer=KillingAnalyzer("en-3", flag))
    assert flag.exists() and int(flag.read_text()) != os.getpid()  # a worker died, not this process
    expected = expected_table(shards[0], settings, loaded).replace_schema_metadata(None)
    assert written(tmp_path / "out" / "en.jsonl.parquet").equals(expected)
    assert summary.shards[0].errors == 2  # the two bad lines of the input, nothing from the kill


def test_a_document_that_always_kills_its_worker_gets_an_error_row_and_the_rest_go_on(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    out = tmp_path / "out"
    run_batch([shards[0]], out, settings, workers=1, make_analyzer=KillingAnalyzer("en-1", tmp_path / "k", once=False))
    assert [r.id for r in read_records(out)] == ["en-2", "en-3", "en-4", "en-5"]
    errors = dict(read_errors(out))
    assert "the worker died on this document 3 times" in errors[f"{shards[0]}:1"]


def test_clashing_output_names_and_unknown_engines_are_refused(tmp_path: Path, shards: list[Path]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write_jsonl(other / "en.jsonl", docs_en())
    with pytest.raises(BatchError, match="would both write en.jsonl.parquet"):
        run_batch([shards[0], other / "en.jsonl"], tmp_path / "out")
    with pytest.raises(BatchError, match="unknown engine"):
        run_batch([shards[0]], tmp_path / "out", engine="spark")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BatchError, match="no shards"):
        run_batch([empty], tmp_path / "out")


def test_slices_of_a_shard_merged_by_the_workers_are_what_one_process_computes(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    from cyberops.batch.local import run_local

    out = tmp_path / "out"
    outputs = [out / f"{shard.name}.parquet" for shard in shards]
    done: dict[int, object] = {}
    # Slices of two documents, and a worker killed in the middle of one: it is retried document by document.
    killer = KillingAnalyzer("en-3", tmp_path / "killed")
    run_local(shards, settings, done.__setitem__, outputs, workers=2, make_analyzer=killer, batch_size=2)
    assert (tmp_path / "killed").exists()
    assert sorted(done) == [0, 1, 2] and all(isinstance(result, ShardSummary) for result in done.values())
    for shard, output in zip(shards, outputs, strict=True):
        expected = expected_table(shard, settings, loaded).replace_schema_metadata(None)
        assert written(output).equals(expected), shard.name
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no part or temporary file left behind


def test_a_warc_shard_whose_worker_died_is_read_again_and_handed_out_document_by_document(
    tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    warc = shards[2]
    poison = [doc["id"] for doc in iter_documents(warc, settings)][1]
    flag = tmp_path / "killed"
    summary = run_batch([warc], tmp_path / "out", settings, workers=1, make_analyzer=KillingAnalyzer(poison, flag))
    assert flag.exists() and summary.shards[0].status == "written"
    expected = expected_table(warc, settings, loaded).replace_schema_metadata(None)
    assert written(tmp_path / "out" / f"{warc.name}.parquet").equals(expected)
