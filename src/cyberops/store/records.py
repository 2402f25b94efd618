"""RecordStore: save, find, read and search extraction records; ingestion errors, dossiers and feed state.

One document is one transaction: its row, its entities, mentions, incidents,
claims and evidence are committed together or not at all, so a process
killed at any moment leaves either the whole document or nothing. A document
is stored once: the same record id, the same content hash or the same
canonical URL finds the stored copy.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from cyberops.ingest.identity import canonical_url, content_id
from cyberops.record import Record
from cyberops.store.engine import StoreError, create_engine
from cyberops.store.migrate import ensure_schema
from cyberops.store.schema import (
    claims,
    documents,
    dossier_documents,
    dossiers,
    entities,
    entity_names,
    evidence,
    feeds,
    incident_types,
    incidents,
    ingestion_errors,
    mentions,
)
from cyberops.store.search import SearchFilters, SearchResult, document_conditions, fold_name, run_search

# Child tables of a document, children first, for deleting an old analysis.
_ANALYSIS_TABLES = (evidence, incident_types, mentions, claims, incidents)


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
            for table in _ANALYSIS_TABLES:
                orphans = conn.execute(
                    sa.select(sa.func.count()).where(~table.c.document_pk.in_(sa.select(documents.c.pk)))
                ).scalar_one()
                if orphans:
                    problems.append(f"{table.name}: {orphans} rows without their document")
            expected = {"claims": claims, "incidents": incidents, "mentions": mentions}
            stored = {
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

    # -- dossiers -------------------------------------------------------------------

    def save_dossiers(self, items: Iterable[Mapping[str, Any]]) -> int:
        """Insert or update dossiers given as ``{id, key, title, document_ids, payload}``, in one transaction."""
        now = _now()
        saved = 0
        with self.engine.begin() as conn:
            for item in items:
                dossier_id = str(item["id"])
                document_ids = list(dict.fromkeys(str(d) for d in item.get("document_ids") or []))
                known = set(conn.execute(sa.select(documents.c.id).where(documents.c.id.in_(document_ids))).scalars())
                missing = [d for d in document_ids if d not in known]
                if missing:
                    raise StoreError(f"dossier {dossier_id} names documents that are not stored: {missing[:5]}")
                values = {
                    "key": str(item.get("key") or dossier_id),
                    "title": item.get("title"),
                    "payload": dict(item.get("payload") or {}),
                    "updated": now,
                }
                changed = conn.execute(sa.update(dossiers).where(dossiers.c.id == dossier_id).values(values))
                if changed.rowcount == 0:
                    conn.execute(sa.insert(dossiers).values(id=dossier_id, **values))
                conn.execute(sa.delete(dossier_documents).where(dossier_documents.c.dossier_id == dossier_id))
                if document_ids:
                    conn.execute(
                        sa.insert(dossier_documents),
                        [{"dossier_id": dossier_id, "document_id": d} for d in document_ids],
                    )
                saved += 1
        return saved

    def list_dossiers(
        self, actor: str | None = None, state: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[DossierSummary]:
        """Dossiers, most recently updated first; ``actor``/``state`` keep those with a document naming them."""
        count = sa.func.count(dossier_documents.c.document_id).label("documents")
        statement = (
            sa.select(dossiers.c.id, dossiers.c.key, dossiers.c.title, dossiers.c.updated, count)
            .select_from(dossiers.outerjoin(dossier_documents, dossier_documents.c.dossier_id == dossiers.c.id))
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

    # -- feeds ----------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        """What the last poll of ``url`` learned, for a conditional GET."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(feeds).where(feeds.c.url == url)).first()
        return FeedState(*row) if row is not None else None

    def save_feed_state(
        self, url: str, etag: str | None, last_modified: str | None, polled: dt.datetime | None = None
    ) -> None:
        values = {"etag": etag, "last_modified": last_modified, "last_polled": polled or _now()}
        with self.engine.begin() as conn:
            if conn.execute(sa.update(feeds).where(feeds.c.url == url).values(values)).rowcount == 0:
                conn.execute(sa.insert(feeds).values(url=url, **values))


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
