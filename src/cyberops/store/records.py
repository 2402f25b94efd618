"""RecordStore: save, find, read and search extraction records; ingestion errors, dossiers and feed state.

One document is one transaction: its row, its entities, mentions, incidents,
claims and evidence, its near-duplicate signature and link, and its place in
the correlation queue are committed together or not at all, so a process
killed at any moment leaves either the whole document or nothing. A document
is stored once: the same record id, the same content hash or the same
canonical URL finds the stored copy. A document that is not the same but
tells the same story (a wire copy) is stored and linked to the first stored
copy, its canonical document.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from cyberops.correlate.duplicates import DUPLICATE_THRESHOLD, Signature, record_signature, similarity
from cyberops.correlate.duplicates import index_keys as signature_index_keys
from cyberops.ingest.identity import canonical_url, content_id
from cyberops.record import Record
from cyberops.store.engine import StoreError, create_engine
from cyberops.store.migrate import ensure_schema
from cyberops.store.schema import (
    claims,
    correlation_queue,
    document_signatures,
    documents,
    dossier_documents,
    dossier_keys,
    dossiers,
    entities,
    entity_names,
    evidence,
    feeds,
    incident_types,
    incidents,
    ingestion_errors,
    mentions,
    near_duplicates,
    signature_keys,
)
from cyberops.store.search import SearchFilters, SearchResult, document_conditions, fold_name, run_search

# Child tables of a document, children first, for deleting an old analysis.
_ANALYSIS_TABLES = (evidence, incident_types, mentions, claims, incidents)
# Every table whose rows belong to one document, for the orphan check.
_DOCUMENT_TABLES = (*_ANALYSIS_TABLES, document_signatures, signature_keys, near_duplicates, correlation_queue)
# Candidates compared with a new document: those sharing the most sketch keys. Boilerplate shared
# by thousands of documents must not make each save read thousands of signatures.
_DUPLICATE_CANDIDATES = 50


@dataclass(frozen=True)
class SaveResult:
    document_id: str
    status: Literal["stored", "duplicate", "replaced"]

    @property
    def created(self) -> bool:
        return self.status == "stored"


@dataclass(frozen=True)
class IngestionError:
    source: str
    message: str
    time: dt.datetime
    occurrences: int


@dataclass(frozen=True)
class DossierSummary:
    id: str
    key: str
    title: str | None
    updated: dt.datetime
    documents: int
    # Distinct stories among the documents: near-duplicate copies count once.
    stories: int = 0


@dataclass
class Dossier:
    id: str
    key: str
    title: str | None
    payload: dict[str, Any]
    updated: dt.datetime
    document_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedState:
    url: str
    etag: str | None
    last_modified: str | None
    last_polled: dt.datetime | None
    # Canonical URLs of the feed's items already taken.
    seen: tuple[str, ...] = ()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RecordStore:
    """The store over one database; build it where the program starts (see :meth:`open`)."""

    def __init__(self, engine: sa.Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            ensure_schema(engine)

    @classmethod
    def open(cls, url: str) -> RecordStore:
        """The store at ``url``; a fresh database gets the schema on first use."""
        return cls(create_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- documents ------------------------------------------------------------------

    def save(
        self,
        record: Record,
        raw: bytes | str | None = None,
        source: str | None = None,
        *,
        replace: bool = False,
    ) -> SaveResult:
        """Store ``record`` once; a document already stored is left as it is unless ``replace``.

        ``replace`` swaps in a new analysis of a stored document (a newer
        analyzer) and keeps its id, first-seen time and raw bytes.
        """
        content_hash = content_id(record.text)
        canonical = canonical_url(record.url) if record.url else None
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        try:
            return self._save(record, raw, source, content_hash, canonical, replace)
        except sa.exc.IntegrityError:
            # Another writer stored the same document between our lookup and our insert.
            found = self.find(record.id, url=record.url, content_hash=content_hash)
            if found is None:
                raise
            return SaveResult(found, "duplicate")

    def _save(
        self,
        record: Record,
        raw: bytes | None,
        source: str | None,
        content_hash: str,
        canonical: str | None,
        replace: bool,
    ) -> SaveResult:
        now = _now()
        with self.engine.begin() as conn:
            existing = conn.execute(
                sa.select(documents.c.pk, documents.c.id).where(_identity(record.id, canonical, content_hash)).limit(1)
            ).first()
            if existing is not None and not replace:
                return SaveResult(existing.id, "duplicate")
            document_id = existing.id if existing is not None else record.id
            data = record.to_dict()
            data["id"] = document_id
            values: dict[str, Any] = {
                "content_hash": content_hash,
                "url": record.url,
                "canonical_url": canonical,
                "title": record.title,
                "text": record.text,
                "outlet": record.outlet,
                "language": record.language,
                "published": record.published,
                "relevant": record.relevant,
                "analyzer": record.analyzer,
                "updated": now,
                "record": data,
            }
            if raw is not None:
                values["raw"] = zlib.compress(raw, 6)
            if source is not None:
                values["source"] = source
            if existing is not None:
                pk = existing.pk
                for table in _ANALYSIS_TABLES:
                    conn.execute(sa.delete(table).where(table.c.document_pk == pk))
                conn.execute(sa.update(documents).where(documents.c.pk == pk).values(values))
            else:
                values.update(id=document_id, first_seen=now)
                pk = conn.execute(sa.insert(documents).values(values).returning(documents.c.pk)).scalar_one()
            _write_analysis(conn, pk, record)
            _write_signature(conn, pk, record, link=existing is None)
            _enqueue(conn, [pk])
        return SaveResult(document_id, "replaced" if existing is not None else "stored")

    def find(
        self, document_id: str | None = None, *, url: str | None = None, content_hash: str | None = None
    ) -> str | None:
        """The id of the stored document with this id, canonical URL or content hash, if any."""
        canonical = canonical_url(url) if url else None
        if not (document_id or canonical or content_hash):
            return None
        with self.engine.connect() as conn:
            return conn.execute(
                sa.select(documents.c.id).where(_identity(document_id, canonical, content_hash)).limit(1)
            ).scalar()

    def has(self, document_id: str | None = None, *, url: str | None = None, content_hash: str | None = None) -> bool:
        """Whether a document with this id, URL (canonicalized) or content hash is stored."""
        return self.find(document_id, url=url, content_hash=content_hash) is not None

    def get(self, document_id: str) -> Record | None:
        """The stored record, exactly as saved; None when there is no such document."""
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(documents.c.record).where(documents.c.id == document_id)).scalar()
        return Record.from_dict(data) if data is not None else None

    def raw(self, document_id: str) -> bytes | None:
        """The document's bytes as obtained, when they were kept."""
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(documents.c.raw).where(documents.c.id == document_id)).scalar()
        return zlib.decompress(data) if data is not None else None

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(documents)).scalar_one()

    def search(
        self,
        query: str = "",
        *,
        state: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
        lang: str | None = None,
        actor: str | None = None,
        outlet: str | None = None,
        incident_type: str | None = None,
        relevant: bool | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> SearchResult:
        """Documents matching ``query`` (full text; empty for all) and every filter, best first, with facets."""
        filters = SearchFilters(state, kind, since, until, lang, actor, outlet, incident_type, relevant)
        with self.engine.connect() as conn:
            return run_search(conn, query, filters, limit=limit, offset=offset)

    def check(self) -> list[str]:
        """Integrity problems, none when all is well: the engine's own check, orphan rows, rows unlike their record."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                if result != ["ok"]:
                    problems.extend(f"integrity_check: {line}" for line in result)
                try:
                    conn.exec_driver_sql("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
                except sa.exc.DatabaseError as exc:
                    problems.append(f"full-text index: {exc.orig}")
                conn.rollback()
            for table in _DOCUMENT_TABLES:
                orphans = conn.execute(
                    sa.select(sa.func.count()).where(~table.c.document_pk.in_(sa.select(documents.c.pk)))
                ).scalar_one()
                if orphans:
                    problems.append(f"{table.name}: {orphans} rows without their document")
            stray = conn.execute(
                sa.select(sa.func.count())
                .select_from(dossier_documents)
                .where(~dossier_documents.c.document_id.in_(sa.select(documents.c.id)))
            ).scalar_one()
            if stray:
                problems.append(f"dossier_documents: {stray} rows without their document")
            chained = conn.execute(
                sa.select(sa.func.count()).where(
                    near_duplicates.c.canonical_pk.in_(sa.select(near_duplicates.c.document_pk))
                )
            ).scalar_one()
            if chained:
                problems.append(f"near_duplicates: {chained} links to a document that is itself a copy")
            expected = {"claims": claims, "incidents": incidents, "mentions": mentions}
            stored: dict[str, dict[Any, Any]] = {
                name: dict(
                    conn.execute(sa.select(table.c.document_pk, sa.func.count()).group_by(table.c.document_pk)).all()
                )
                for name, table in expected.items()
            }
            for pk, document_id, data in conn.execute(sa.select(documents.c.pk, documents.c.id, documents.c.record)):
                record = Record.from_dict(data)
                wanted = {
                    "claims": len(record.claims),
                    "incidents": len(record.incidents),
                    "mentions": sum(len(e.mentions) for e in record.entities),
                }
                for name, count in wanted.items():
                    if stored[name].get(pk, 0) != count:
                        problems.append(f"{document_id}: {stored[name].get(pk, 0)} {name} rows, the record has {count}")
        return problems

    # -- ingestion errors -----------------------------------------------------------

    def record_error(self, source: str, message: str) -> None:
        """Note that ``source`` failed; the same failure again only bumps its time and count."""
        now = _now()
        with self.engine.begin() as conn:
            same = sa.and_(ingestion_errors.c.source == source, ingestion_errors.c.message == message)
            updated = conn.execute(
                sa.update(ingestion_errors).where(same).values(time=now, occurrences=ingestion_errors.c.occurrences + 1)
            )
            if updated.rowcount == 0:
                conn.execute(
                    sa.insert(ingestion_errors).values(source=source, message=message, time=now, occurrences=1)
                )

    def errors(self, limit: int = 100) -> list[IngestionError]:
        """The most recent ingestion errors first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ingestion_errors.c.source,
                    ingestion_errors.c.message,
                    ingestion_errors.c.time,
                    ingestion_errors.c.occurrences,
                )
                .order_by(ingestion_errors.c.time.desc(), ingestion_errors.c.pk.desc())
                .limit(limit)
            )
            return [IngestionError(*row) for row in rows]

    # -- near-duplicates ------------------------------------------------------------

    def copies(self, document_ids: Iterable[str]) -> dict[str, int]:
        """How many stored documents tell each document's story (itself included): 1 for a unique story."""
        ids = list(dict.fromkeys(document_ids))
        if not ids:
            return {}
        with self.engine.connect() as conn:
            stories = _stories(conn, ids)
            roots = set(stories.values())
            sizes: dict[Any, Any] = dict(
                conn.execute(
                    sa.select(near_duplicates.c.canonical_pk, sa.func.count())
                    .where(near_duplicates.c.canonical_pk.in_(roots))
                    .group_by(near_duplicates.c.canonical_pk)
                ).all()
            )
        return {d: 1 + sizes.get(stories[d], 0) for d in ids if d in stories}

    def canonical_ids(self, document_ids: Iterable[str]) -> dict[str, str]:
        """The canonical document id of each near-duplicate copy among ``document_ids`` (copies only)."""
        ids = list(dict.fromkeys(document_ids))
        canonical = documents.alias("canonical")
        copy = documents.alias("copy")
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                rows = conn.execute(
                    sa.select(copy.c.id, canonical.c.id)
                    .join(near_duplicates, near_duplicates.c.document_pk == copy.c.pk)
                    .join(canonical, canonical.c.pk == near_duplicates.c.canonical_pk)
                    .where(copy.c.id.in_(chunk))
                )
                found.update(dict(rows.all()))
        return found

    def sign_unsigned(self) -> int:
        """Sign and link documents stored before signatures existed (schema 0003); how many were signed."""
        signed = 0
        while True:
            with self.engine.begin() as conn:
                rows = conn.execute(
                    sa.select(documents.c.pk, documents.c.record)
                    .where(~documents.c.pk.in_(sa.select(document_signatures.c.document_pk)))
                    .order_by(documents.c.pk)
                    .limit(500)
                ).all()
                for pk, data in rows:
                    _write_signature(conn, pk, Record.from_dict(data), link=True)
            signed += len(rows)
            if not rows:
                return signed

    # -- dossiers -------------------------------------------------------------------

    def save_dossiers(
        self,
        items: Iterable[Mapping[str, Any]],
        removed: Iterable[str] = (),
        correlated: Iterable[str] = (),
        *,
        replace_all: bool = False,
    ) -> int:
        """Insert or update dossiers given as ``{id, key, title, document_ids, payload, keys?}``, in one transaction.

        ``removed`` dossiers are deleted; ``correlated`` documents leave the correlation queue in the same
        transaction, so that their dossiers and their being done are committed together. ``keys`` (the
        lookup keys of :func:`cyberops.correlate.dossier_keys`) default to those of the payload's members.
        ``replace_all`` deletes every other dossier first (a rebuild).
        """
        now = _now()
        saved = 0
        with self.engine.begin() as conn:
            if replace_all:
                conn.execute(sa.delete(dossier_keys))
                conn.execute(sa.delete(dossier_documents))
                conn.execute(sa.delete(dossiers))
            gone = list(removed)
            if gone:
                conn.execute(sa.delete(dossier_keys).where(dossier_keys.c.dossier_id.in_(gone)))
                conn.execute(sa.delete(dossier_documents).where(dossier_documents.c.dossier_id.in_(gone)))
                conn.execute(sa.delete(dossiers).where(dossiers.c.id.in_(gone)))
            for item in items:
                _save_dossier(conn, item, now)
                saved += 1
            done = list(correlated)
            for chunk in _chunks(done):
                pks = sa.select(documents.c.pk).where(documents.c.id.in_(chunk))
                conn.execute(sa.delete(correlation_queue).where(correlation_queue.c.document_pk.in_(pks)))
            if replace_all:
                conn.execute(sa.delete(correlation_queue))
        return saved

    def dossier_payloads(self, keys: Iterable[str] = (), document_ids: Iterable[str] = ()) -> list[dict[str, Any]]:
        """Payloads of the dossiers sharing a lookup key with ``keys`` or holding one of ``document_ids``."""
        keys, document_ids = list(set(keys)), list(set(document_ids))
        wanted: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(keys):
                wanted.update(
                    conn.execute(sa.select(dossier_keys.c.dossier_id).where(dossier_keys.c.key.in_(chunk))).scalars()
                )
            for chunk in _chunks(document_ids):
                wanted.update(
                    conn.execute(
                        sa.select(dossier_documents.c.dossier_id).where(dossier_documents.c.document_id.in_(chunk))
                    ).scalars()
                )
            payloads: list[Any] = []
            for chunk in _chunks(sorted(wanted)):
                rows = conn.execute(
                    sa.select(dossiers.c.id, dossiers.c.key, dossiers.c.payload).where(dossiers.c.id.in_(chunk))
                )
                payloads.extend({"id": row.id, "key": row.key, **(row.payload or {})} for row in rows)
        return payloads

    def queued_for_correlation(self, limit: int = 1000) -> list[str]:
        """Ids of stored documents not yet placed in dossiers, oldest first."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(documents.c.id)
                    .join(correlation_queue, correlation_queue.c.document_pk == documents.c.pk)
                    .order_by(documents.c.pk)
                    .limit(limit)
                ).scalars()
            )

    def list_dossiers(
        self, actor: str | None = None, state: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[DossierSummary]:
        """Dossiers, most recently updated first; ``actor``/``state`` keep those with a document naming them."""
        count = sa.func.count(dossier_documents.c.document_id).label("documents")
        stories = sa.func.count(sa.distinct(sa.func.coalesce(near_duplicates.c.canonical_pk, documents.c.pk)))
        statement = (
            sa.select(dossiers.c.id, dossiers.c.key, dossiers.c.title, dossiers.c.updated, count, stories)
            .select_from(
                dossiers.outerjoin(dossier_documents, dossier_documents.c.dossier_id == dossiers.c.id)
                .outerjoin(documents, documents.c.id == dossier_documents.c.document_id)
                .outerjoin(near_duplicates, near_duplicates.c.document_pk == documents.c.pk)
            )
            .group_by(dossiers.c.id, dossiers.c.key, dossiers.c.title, dossiers.c.updated)
            .order_by(dossiers.c.updated.desc(), dossiers.c.id)
            .limit(limit)
            .offset(offset)
        )
        if actor or state:
            conditions = document_conditions(SearchFilters(state=state, actor=actor))
            involved = (
                sa.select(dossier_documents.c.dossier_id)
                .join(documents, documents.c.id == dossier_documents.c.document_id)
                .where(*conditions)
            )
            statement = statement.where(dossiers.c.id.in_(involved))
        with self.engine.connect() as conn:
            return [DossierSummary(*row) for row in conn.execute(statement)]

    def get_dossier(self, dossier_id: str) -> Dossier | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(dossiers).where(dossiers.c.id == dossier_id)).first()
            if row is None:
                return None
            document_ids = conn.execute(
                sa.select(dossier_documents.c.document_id)
                .join(documents, documents.c.id == dossier_documents.c.document_id)
                .where(dossier_documents.c.dossier_id == dossier_id)
                .order_by(documents.c.published.nulls_last(), documents.c.id)
            ).scalars()
            return Dossier(row.id, row.key, row.title, row.payload, row.updated, list(document_ids))

    # -- re-analysis ----------------------------------------------------------------

    def records(self, document_ids: Iterable[str]) -> list[Record]:
        """The stored records of ``document_ids`` that exist, in no particular order."""
        found: list[Record] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(document_ids))):
                rows = conn.execute(sa.select(documents.c.record).where(documents.c.id.in_(chunk))).scalars()
                found.extend(Record.from_dict(data) for data in rows)
        return found

    def first_seen(self, document_ids: Iterable[str]) -> dict[str, str]:
        """The date each document was first stored (ISO), which dates records without a published date."""
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(document_ids))):
                rows = conn.execute(sa.select(documents.c.id, documents.c.first_seen).where(documents.c.id.in_(chunk)))
                found.update({d: seen.date().isoformat() for d, seen in rows})
        return found

    def document_ids(self, *, analyzer_not: str | None = None) -> list[str]:
        """Every stored document id in storage order; ``analyzer_not`` keeps those analyzed by another version."""
        statement = sa.select(documents.c.id).order_by(documents.c.pk)
        if analyzer_not is not None:
            statement = statement.where(sa.or_(documents.c.analyzer.is_(None), documents.c.analyzer != analyzer_not))
        with self.engine.connect() as conn:
            return list(conn.execute(statement).scalars())

    # -- feeds ----------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        """What the last poll of ``url`` learned, for a conditional GET."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(feeds).where(feeds.c.url == url)).first()
        return _feed_state(row) if row is not None else None

    def feed_states(self) -> dict[str, FeedState]:
        """Every feed's state by URL (or local path): a run does not know in advance which feeds an OPML lists."""
        with self.engine.connect() as conn:
            return {row.url: _feed_state(row) for row in conn.execute(sa.select(feeds))}

    def save_feed_state(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        polled: dt.datetime | None = None,
        seen: Iterable[str] | None = None,
    ) -> None:
        values: dict[str, Any] = {"etag": etag, "last_modified": last_modified, "last_polled": polled or _now()}
        if seen is not None:
            values["seen"] = list(seen)
        with self.engine.begin() as conn:
            if conn.execute(sa.update(feeds).where(feeds.c.url == url).values(values)).rowcount == 0:
                conn.execute(sa.insert(feeds).values(url=url, **values))


def _feed_state(row: sa.Row) -> FeedState:
    return FeedState(row.url, row.etag, row.last_modified, row.last_polled, tuple(row.seen or ()))


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    """Slices small enough for an IN list on every backend."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _save_dossier(conn: sa.Connection, item: Mapping[str, Any], now: dt.datetime) -> None:
    dossier_id = str(item["id"])
    document_ids = list(dict.fromkeys(str(d) for d in item.get("document_ids") or []))
    known = set(conn.execute(sa.select(documents.c.id).where(documents.c.id.in_(document_ids))).scalars())
    missing = [d for d in document_ids if d not in known]
    if missing:
        raise StoreError(f"dossier {dossier_id} names documents that are not stored: {missing[:5]}")
    payload = dict(item.get("payload") or {})
    keys = item.get("keys")
    if keys is None:
        keys = _payload_keys(payload)
    values = {"key": str(item.get("key") or dossier_id), "title": item.get("title"), "payload": payload, "updated": now}
    changed = conn.execute(sa.update(dossiers).where(dossiers.c.id == dossier_id).values(values))
    if changed.rowcount == 0:
        conn.execute(sa.insert(dossiers).values(id=dossier_id, **values))
    conn.execute(sa.delete(dossier_documents).where(dossier_documents.c.dossier_id == dossier_id))
    conn.execute(sa.delete(dossier_keys).where(dossier_keys.c.dossier_id == dossier_id))
    if document_ids:
        conn.execute(sa.insert(dossier_documents), [{"dossier_id": dossier_id, "document_id": d} for d in document_ids])
    if keys:
        conn.execute(sa.insert(dossier_keys), [{"dossier_id": dossier_id, "key": k} for k in sorted(set(keys))])


def _payload_keys(payload: Mapping[str, Any]) -> set[str]:
    from cyberops.correlate import Dossier as Correlated
    from cyberops.correlate import dossier_keys as keys_of

    return keys_of(Correlated.from_dict(dict(payload))) if payload.get("members") else set()


def _stories(conn: sa.Connection, document_ids: list[str]) -> dict[str, int]:
    """Document id -> the pk of its story's canonical document (its own pk when it is no copy)."""
    found: dict[str, int] = {}
    for chunk in _chunks(document_ids):
        rows = conn.execute(
            sa.select(documents.c.id, sa.func.coalesce(near_duplicates.c.canonical_pk, documents.c.pk))
            .select_from(documents.outerjoin(near_duplicates, near_duplicates.c.document_pk == documents.c.pk))
            .where(documents.c.id.in_(chunk))
        )
        found.update(dict(rows.all()))
    return found


def _enqueue(conn: sa.Connection, pks: list[int]) -> None:
    queued = set(
        conn.execute(
            sa.select(correlation_queue.c.document_pk).where(correlation_queue.c.document_pk.in_(pks))
        ).scalars()
    )
    fresh = [pk for pk in pks if pk not in queued]
    if fresh:
        conn.execute(sa.insert(correlation_queue), [{"document_pk": pk} for pk in fresh])


def _write_signature(conn: sa.Connection, pk: int, record: Record, link: bool) -> None:
    """Store the document's sketch and keys; with ``link``, point it at the canonical copy of its story, if any."""
    sig = record_signature(record)
    keys = signature_index_keys(sig)
    conn.execute(sa.delete(signature_keys).where(signature_keys.c.document_pk == pk))
    conn.execute(sa.delete(document_signatures).where(document_signatures.c.document_pk == pk))
    conn.execute(sa.insert(document_signatures).values(document_pk=pk, signature=sig.to_dict()))
    if not keys:
        return
    if link:
        _link_copy(conn, pk, sig, keys)
    conn.execute(sa.insert(signature_keys), [{"key": k, "document_pk": pk} for k in keys])


def _link_copy(conn: sa.Connection, pk: int, sig: Signature, keys: list[str]) -> None:
    shared = (
        sa.select(signature_keys.c.document_pk)
        .where(signature_keys.c.key.in_(keys), signature_keys.c.document_pk != pk)
        .group_by(signature_keys.c.document_pk)
        .order_by(sa.func.count().desc(), signature_keys.c.document_pk)
        .limit(_DUPLICATE_CANDIDATES)
    )
    candidates = conn.execute(
        sa.select(document_signatures.c.document_pk, document_signatures.c.signature).where(
            document_signatures.c.document_pk.in_(shared)
        )
    ).all()
    scored = [(similarity(sig, Signature.from_dict(data)), other) for other, data in candidates]
    matches = sorted(
        ((score, other) for score, other in scored if score >= DUPLICATE_THRESHOLD), key=lambda m: (-m[0], m[1])
    )
    if not matches:
        return
    score, other = matches[0]
    # Link to the story's canonical document, never to another copy: one hop answers "which story".
    canonical = conn.execute(
        sa.select(near_duplicates.c.canonical_pk).where(near_duplicates.c.document_pk == other)
    ).scalar()
    conn.execute(
        sa.insert(near_duplicates).values(document_pk=pk, canonical_pk=canonical or other, similarity=round(score, 4))
    )


def _identity(document_id: str | None, canonical: str | None, content_hash: str | None) -> sa.ColumnElement[bool]:
    conditions = []
    if document_id:
        conditions.append(documents.c.id == document_id)
    if canonical:
        conditions.append(documents.c.canonical_url == canonical)
    if content_hash:
        conditions.append(documents.c.content_hash == content_hash)
    return sa.or_(*conditions)


def _write_analysis(conn: sa.Connection, document_pk: int, record: Record) -> None:
    """The normalized rows of one record: entities and mentions, incidents, claims, evidence."""
    for entity in record.entities:
        entity_pk = _entity_pk(conn, entity.name, entity.type, entity.state, entity.aliases, entity.kb)
        if entity.mentions:
            conn.execute(
                sa.insert(mentions),
                [
                    {
                        "document_pk": document_pk,
                        "entity_pk": entity_pk,
                        "ref": entity.id,
                        "start": m.start,
                        "end": m.end,
                    }
                    for m in entity.mentions
                ],
            )
    for incident in record.incidents:
        incident_pk = conn.execute(
            sa.insert(incidents)
            .values(
                document_pk=document_pk,
                ref=incident.id,
                status=incident.status,
                victim_states=incident.victim_states,
                victim_sectors=incident.victim_sectors,
                attributed_states=incident.attributed_states,
                actors=incident.actors,
            )
            .returning(incidents.c.pk)
        ).scalar_one()
        types = list(dict.fromkeys(incident.types))
        if types:
            conn.execute(
                sa.insert(incident_types),
                [{"incident_pk": incident_pk, "type": t, "document_pk": document_pk} for t in types],
            )
        _write_evidence(conn, document_pk, incident.evidence, incident_pk=incident_pk)
    for claim in record.claims:
        claim_pk = conn.execute(
            sa.insert(claims)
            .values(
                document_pk=document_pk,
                ref=claim.id,
                kind=claim.kind,
                speaker=claim.speaker.name,
                speaker_role=claim.speaker.role,
                speaker_entity=claim.speaker.entity,
                speaker_state=claim.speaker_state,
                subject_state=claim.subject_state,
                subject_actor=claim.subject_actor,
                measure=claim.measure,
                hedged=claim.hedged,
                incident_ref=claim.incident,
            )
            .returning(claims.c.pk)
        ).scalar_one()
        _write_evidence(conn, document_pk, claim.evidence, claim_pk=claim_pk)


def _write_evidence(conn: sa.Connection, document_pk: int, spans: list, **owner: int) -> None:
    if spans:
        conn.execute(
            sa.insert(evidence), [{"document_pk": document_pk, "start": s.start, "end": s.end, **owner} for s in spans]
        )


def _entity_pk(
    conn: sa.Connection, name: str, kind: str, state: str | None, aliases: list[str], kb: dict[str, str]
) -> int:
    """The entity's row, created or enriched: aliases and KB ids accumulate over documents."""
    row = conn.execute(
        sa.select(entities.c.pk, entities.c.state, entities.c.aliases, entities.c.kb).where(
            entities.c.kind == kind, entities.c.name == name
        )
    ).first()
    if row is None:
        entity_pk = conn.execute(
            sa.insert(entities)
            .values(name=name, kind=kind, state=state, aliases=list(aliases), kb=dict(kb))
            .returning(entities.c.pk)
        ).scalar_one()
        known_names: set[str] = set()
    else:
        entity_pk = row.pk
        merged_aliases = list(dict.fromkeys([*row.aliases, *aliases]))
        merged_kb = {**row.kb, **kb}
        if merged_aliases != row.aliases or merged_kb != row.kb or (state and state != row.state):
            conn.execute(
                sa.update(entities)
                .where(entities.c.pk == entity_pk)
                .values(aliases=merged_aliases, kb=merged_kb, state=state or row.state)
            )
        known_names = {fold_name(n) for n in [name, *row.aliases]}
    names = {fold_name(n) for n in [name, *aliases] if n.strip()} - known_names
    if names:
        conn.execute(sa.insert(entity_names), [{"entity_pk": entity_pk, "name": n} for n in sorted(names)])
    return entity_pk
