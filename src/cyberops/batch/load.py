"""Load record shards into the store: bulk, idempotent, resumable, then dossiers over the new documents.

Per record shard:

1. irrelevant records (most of any news archive) go in one transaction; on
   PostgreSQL through ``COPY`` into a temporary table and one
   ``INSERT … ON CONFLICT DO NOTHING``, so a document already stored (same id,
   content hash or canonical URL) is left as it is;
2. relevant records go through ``RecordStore.save``, which writes their
   entities, incidents, claims and evidence in one transaction per document
   and also leaves stored documents alone;
3. the shard's error rows are noted as ingestion errors, once.

Nothing is written twice, so loading a shard again changes nothing, and a
load that was stopped is finished by running it again. Dossier correlation
then runs over the documents this load created, and only over them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from cyberops.batch.output import BatchError
from cyberops.batch.schema import iter_rows, row_to_record
from cyberops.ingest.identity import canonical_url, content_id
from cyberops.record import Record
from cyberops.store import RecordStore
from cyberops.store.schema import ingestion_errors

_COLUMNS = (
    "id",
    "content_hash",
    "url",
    "canonical_url",
    "title",
    "text",
    "outlet",
    "source",
    "language",
    "published",
    "relevant",
    "analyzer",
    "record",
)


@dataclass
class ShardLoad:
    shard: str
    records: int = 0
    stored: int = 0  # new documents
    already: int = 0  # stored before (by this load earlier, or another path)
    errors: int = 0
    seconds: float = 0.0


@dataclass
class LoadSummary:
    shards: list[ShardLoad] = field(default_factory=list)
    dossiers: int = 0  # dossiers created or changed by the new documents
    seconds: float = 0.0

    @property
    def stored(self) -> int:
        return sum(s.stored for s in self.shards)

    @property
    def records(self) -> int:
        return sum(s.records for s in self.shards)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "stored": self.stored, "records": self.records}


def load_records(
    path: str | Path,
    store: RecordStore,
    *,
    correlate: bool = True,
    on_shard: Callable[[ShardLoad], None] | None = None,
) -> LoadSummary:
    """Load every record shard (``*.parquet``) of ``path`` into ``store``, then correlate the new documents."""
    path = Path(path)
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise BatchError(f"no record shards at {path}; give a folder written by `cyberops batch` or one of its files")
    started = dt.datetime.now(dt.UTC)
    summary = LoadSummary()
    new_records: list[Record] = []
    for file in files:
        shard, created = _load_shard(file, store)
        new_records.extend(created)
        summary.shards.append(shard)
        if on_shard:
            on_shard(shard)
    if correlate and new_records:
        summary.dossiers = correlate_new(store, new_records)
    summary.seconds = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3)
    return summary


def correlate_new(store: RecordStore, records: list[Record]) -> int:
    """Place the new records' incidents into the stored dossiers (or new ones); the number of dossiers saved."""
    from cyberops.correlate import Dossier, dossier_keys, record_keys, update_dossiers

    keys = set().union(*(record_keys(r) for r in records))
    if not keys:
        return 0
    existing = []
    # The store has no lookup of dossiers by key yet: read them all and keep those that share one.
    for summary in store.list_dossiers(limit=1_000_000):
        stored = store.get_dossier(summary.id)
        if stored is not None and stored.payload:
            dossier = Dossier.from_dict(stored.payload)
            if dossier_keys(dossier) & keys:
                existing.append(dossier)
    update = update_dossiers(existing, records)
    changed = set(update.changed)
    items = [
        {
            "id": d.id,
            "key": d.key,
            "title": d.title,
            "document_ids": sorted({m.document_id for m in d.members}),
            "payload": d.to_dict(),
        }
        for d in update.dossiers
        if d.id in changed
    ]
    return store.save_dossiers(items)


def _load_shard(file: Path, store: RecordStore) -> tuple[ShardLoad, list[Record]]:
    started = dt.datetime.now(dt.UTC)
    shard = ShardLoad(str(file))
    irrelevant: list[Record] = []
    relevant: list[Record] = []
    errors: list[tuple[str, str]] = []
    for row in iter_rows(file):
        if row["error"] is not None:
            errors.append((row["source"] or str(file), row["error"]))
        else:
            record = row_to_record(row)
            (relevant if record.relevant else irrelevant).append(record)
    shard.records = len(irrelevant) + len(relevant)
    shard.errors = len(errors)
    created: list[Record] = []
    inserted = _insert_plain(store, irrelevant, str(file))
    shard.stored += inserted
    for record in relevant:
        result = store.save(record, source=str(file))
        if result.created:
            shard.stored += 1
            created.append(record)
    shard.already = shard.records - shard.stored
    _note_errors(store, errors)
    shard.seconds = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3)
    return shard, created


def _insert_plain(store: RecordStore, records: list[Record], source: str) -> int:
    """Store records that have no facts (irrelevant ones) in one transaction; how many were new."""
    if not records:
        return 0
    if store.engine.dialect.name != "postgresql":
        return sum(store.save(record, source=source).created for record in records)
    now = dt.datetime.now(dt.UTC)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE load_documents (id text, content_hash text, url text, canonical_url text, "
            "title text, text text, outlet text, source text, language text, published text, relevant boolean, "
            "analyzer text, record jsonb) ON COMMIT DROP"
        )
        driver = conn.connection.driver_connection
        assert driver is not None, "a connection in a transaction has its psycopg connection"
        cursor = driver.cursor()
        with cursor.copy(f"COPY load_documents ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(_document_row(record, source))
        columns = ", ".join(_COLUMNS)
        inserted = conn.execute(
            sa.text(
                f"INSERT INTO documents ({columns}, first_seen, updated) "
                f"SELECT {columns}, :now, :now FROM load_documents "
                "ON CONFLICT DO NOTHING RETURNING id"
            ),
            {"now": now},
        ).all()
    return len(inserted)


def _document_row(record: Record, source: str) -> tuple[Any, ...]:
    return (
        record.id,
        content_id(record.text),
        record.url,
        canonical_url(record.url) if record.url else None,
        record.title,
        record.text,
        record.outlet,
        source,
        record.language,
        record.published,
        record.relevant,
        record.analyzer,
        json.dumps(record.to_dict(), ensure_ascii=False),
    )


def _note_errors(store: RecordStore, errors: list[tuple[str, str]]) -> None:
    """Note each error once: loading the shard again must not count it again."""
    if not errors:
        return
    with store.engine.connect() as conn:
        known = {
            (row.source, row.message)
            for row in conn.execute(
                sa.select(ingestion_errors.c.source, ingestion_errors.c.message).where(
                    ingestion_errors.c.source.in_([source for source, _ in errors])
                )
            )
        }
    for source, message in errors:
        if (source, message) not in known:
            store.record_error(source, message)
