"""``load_records``: record shards into the store, idempotent, then dossiers over the new documents only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from batch_helpers import expected_table

from cyberops.batch.load import load_records
from cyberops.batch.output import write_shard
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.store.schema import claims, documents, dossiers, ingestion_errors
from cyberops.store.testing import TemporaryPostgres, find_postgres_bin


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database()
    with RecordStore.open(url) as opened:
        yield opened


@pytest.fixture
def records(tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer) -> Path:
    """Record shards as `cyberops batch` writes them, made in this process."""
    out = tmp_path / "records"
    for shard in shards:
        write_shard(expected_table(shard, settings, loaded), out / f"{shard.name}.parquet", shard)
    return out


def counts(store: RecordStore) -> dict[str, object]:
    with store.engine.connect() as conn:
        return {
            "documents": conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar(),
            "claims": conn.execute(sa.select(sa.func.count()).select_from(claims)).scalar(),
            "errors": conn.execute(sa.select(ingestion_errors.c.source, ingestion_errors.c.occurrences)).all(),
            "dossiers": conn.execute(sa.select(dossiers.c.id, dossiers.c.updated)).all(),
        }


def test_loading_stores_every_record_once_and_a_second_load_changes_nothing(records: Path, store: RecordStore) -> None:
    first = load_records(records, store)
    # en: 5 articles + 2 bad lines; fr: 1 article + 1 empty; WARC: 2 pages whose texts are en-1's and en-3's.
    assert (first.records, first.stored) == (8, 6)
    assert [(s.stored, s.already, s.errors) for s in first.shards] == [(5, 0, 2), (1, 0, 1), (0, 2, 0)]
    after = counts(store)
    assert after["documents"] == 6 and after["claims"] > 0 and len(after["errors"]) == 3
    assert first.dossiers == len(after["dossiers"]) > 0  # the new reported incidents went into dossiers
    stored = store.get("en-1")
    assert stored is not None and stored.relevant and stored.claims
    assert store.get("en-2") is not None and not store.get("en-2").relevant

    second = load_records(records, store)
    assert (second.records, second.stored, second.dossiers) == (8, 0, 0)
    assert counts(store) == after
