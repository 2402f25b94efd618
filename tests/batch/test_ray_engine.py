"""The Ray engine on a real local Ray cluster (2 CPUs): same rows as the local engine, killed actors recovered."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import batch_helpers
import pyarrow.parquet as pq
import pytest
from batch_helpers import KillingAnalyzer, docs_en, expected_table, write_corrupt_gzip

from cyberops.batch import BatchError, run_batch
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from ray import cloudpickle

    # The test's analyzer factory travels to the actors by value: they cannot import this test folder.
    cloudpickle.register_pickle_by_value(batch_helpers)
    ray.init(
        address="local", num_cpus=2, include_dashboard=False, object_store_memory=300 * 1024**2, logging_level="WARNING"
    )
    yield ray
    ray.shutdown()


def written(path: Path):
    return pq.read_table(path).replace_schema_metadata(None)


@pytest.mark.ray
def test_ray_writes_the_same_rows_as_the_local_engine(
    ray_cluster, tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    write_corrupt_gzip(shards[0].parent / "cut.jsonl.gz", docs_en())
    summary = run_batch([shards[0].parent], tmp_path / "out", settings, engine="ray", workers=2)
    statuses = {Path(s.input).name: s.status for s in summary.shards}
    assert statuses == {
        "cut.jsonl.gz": "failed",
        "en.jsonl": "written",
        "fr.jsonl.gz": "written",
        "pages.warc.gz": "written",
    }
    for shard in shards:
        expected = expected_table(shard, settings, loaded).replace_schema_metadata(None)
        assert written(tmp_path / "out" / f"{shard.name}.parquet").equals(expected), shard.name
    assert ray_cluster.is_initialized()  # the engine leaves a cluster it did not start running


@pytest.mark.ray
def test_a_killed_parsing_actor_loses_and_doubles_nothing(
    ray_cluster, tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    flag = tmp_path / "killed"
    run_batch(
        [shards[0]], tmp_path / "out", settings, engine="ray", workers=2, make_analyzer=KillingAnalyzer("en-1", flag)
    )
    # en-1 is relevant, so only a parsing actor analyzes it: that actor's process was killed and restarted.
    assert flag.exists() and int(flag.read_text()) != os.getpid()
    expected = expected_table(shards[0], settings, loaded).replace_schema_metadata(None)
    assert written(tmp_path / "out" / "en.jsonl.parquet").equals(expected)


def test_without_ray_the_ray_engine_names_the_extra_to_install(
    tmp_path: Path, shards: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without Ray gives on import
    with pytest.raises(BatchError, match=r"cyberops\[ray\]"):
        run_batch([shards[0]], tmp_path / "out", engine="ray")
    assert not (tmp_path / "out" / "en.jsonl.parquet").exists()


def test_shards_are_grouped_into_rounds_by_input_size(tmp_path: Path) -> None:
    from cyberops.batch.ray_engine import _rounds

    sizes = [40, 50, 30, 200, 10]
    paths = []
    for index, size in enumerate(sizes):
        path = tmp_path / f"{index}.jsonl"
        path.write_bytes(b"x" * size)
        paths.append(path)
    assert list(_rounds(paths, 100)) == [[0, 1], [2], [3], [4]]
    assert list(_rounds(paths, None)) == [[0, 1, 2, 3, 4]]


def test_relevant_documents_are_parsed_in_blocks_that_need_one_model_at_most() -> None:
    pa = pytest.importorskip("pyarrow")
    from cyberops.batch.ray_engine import _PIECES_PER_PARSER, _parse_blocks

    # English and French have a spaCy model (models.json); German and Russian are read without one.
    languages = ["de"] * 30 + ["en"] * 40 + ["fr"] * 3 + ["ru"] * 5 + [None] * 2
    pending = pa.table(
        {
            "seq": list(range(len(languages))),
            "text": ["x" * 1000] * len(languages),
            "shard": pa.array([0] * len(languages), pa.int32()),
            "language": languages,
        }
    )
    blocks = _parse_blocks(pending, workers=2)
    assert sorted(seq for block in blocks for seq in block["seq"].to_pylist()) == list(range(len(languages)))
    found = [{languages[seq] for seq in block["seq"].to_pylist()} for block in blocks]
    modelled = [languages & {"en", "fr"} for languages in found]
    assert all(len(models) <= 1 for models in modelled)
    assert all(models or languages <= {"de", "ru", None} for models, languages in zip(modelled, found, strict=True))
    # English is ~4/5 of the estimated work (a model: ~4x the cost of German per character): cut into pieces.
    assert len([languages for languages in found if languages == {"en"}]) >= _PIECES_PER_PARSER * 2 * 4 // 5
    # French is a single block whose cost includes loading its model: it goes before the English pieces after
    # the first, so that no actor is left loading a model at the end.
    assert found.index({"fr"}) < len(found) - 2
    assert found[0] == {"en"}
    # The languages without a model share blocks, in one group.
    assert {"de", "ru", None} <= set().union(*(languages for languages in found if not languages & {"en", "fr"}))


def test_jsonl_needs_fewer_readers_than_warc(tmp_path: Path) -> None:
    from cyberops.batch.ray_engine import _readers

    jsonl = [tmp_path / f"{index}.jsonl.gz" for index in range(10)]
    assert _readers(jsonl, 2) == 1
    assert _readers(jsonl, 16) == 2
    assert _readers([*jsonl, tmp_path / "pages.warc.gz"], 4) == 4
    assert _readers(jsonl[:1], 4) == 1
