"""The store's tables as SQLAlchemy Core metadata, the one description the migrations must match.

The full record lives in ``documents.record`` as JSON, so ``get`` returns it
exactly; the other tables repeat the parts that search, filters and facets
need as plain indexed columns. Full-text search objects (the SQLite FTS5
table and its triggers, the PostgreSQL tsvector column and its GIN index) are
dialect-specific, so they are created by the migrations only and named in
:data:`FULLTEXT_OBJECTS` for the schema comparison to leave aside.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# Constraint names are fixed so that a migration can refer to them on both backends.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# JSON as text on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def _document_fk() -> sa.Column:
    return sa.Column(
        "document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), nullable=False, index=True
    )


documents = sa.Table(
    "documents",
    metadata,
    # An integer key, not the record id: SQLite's FTS5 external-content table
    # needs a rowid that VACUUM never renumbers, and child rows stay small.
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(200), nullable=False, unique=True),
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("url", sa.Text),
    sa.Column("canonical_url", sa.Text, unique=True),
    sa.Column("title", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("raw", sa.LargeBinary),  # zlib-compressed bytes as obtained
    sa.Column("outlet", sa.String(200), index=True),
    sa.Column("source", sa.Text),
    sa.Column("language", sa.String(16), index=True),
    sa.Column("published", sa.String(32), index=True),  # ISO 8601 as in the record: sorts and compares as text
    sa.Column("relevant", sa.Boolean, nullable=False),
    sa.Column("analyzer", sa.String(64)),
    sa.Column("first_seen", Timestamp, nullable=False),
    sa.Column("updated", Timestamp, nullable=False),
    sa.Column("record", JSONType, nullable=False),
)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("state", sa.String(8)),
    sa.Column("aliases", JSONType, nullable=False),
    sa.Column("kb", JSONType, nullable=False),
    sa.UniqueConstraint("kind", "name"),
)

# Every name an entity goes by (canonical and aliases), case-folded, so that
# ``--actor EQGRP`` finds the Equation Group through an index.
entity_names = sa.Table(
    "entity_names",
    metadata,
    sa.Column("entity_pk", sa.Integer, sa.ForeignKey("entities.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Index(None, "name"),
)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _document_fk(),
    sa.Column("entity_pk", sa.Integer, sa.ForeignKey("entities.pk"), nullable=False, index=True),
    sa.Column("ref", sa.String(32), nullable=False),  # the entity's id inside the record ("e1")
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _document_fk(),
    sa.Column("ref", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("victim_states", JSONType, nullable=False),
    sa.Column("victim_sectors", JSONType, nullable=False),
    sa.Column("attributed_states", JSONType, nullable=False),
    sa.Column("actors", JSONType, nullable=False),
)

# One row per incident type: the facet and the filter count them portably.
incident_types = sa.Table(
    "incident_types",
    metadata,
    sa.Column("incident_pk", sa.Integer, sa.ForeignKey("incidents.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("type", sa.String(32), primary_key=True),
    sa.Column("document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), nullable=False),
    sa.Index(None, "type", "document_pk"),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _document_fk(),
    sa.Column("ref", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("speaker", sa.Text),
    sa.Column("speaker_role", sa.Text),
    sa.Column("speaker_entity", sa.String(32)),
    sa.Column("speaker_state", sa.String(8), index=True),
    sa.Column("subject_state", sa.String(8), index=True),
    sa.Column("subject_actor", sa.String(300), index=True),
    sa.Column("measure", sa.String(32)),
    sa.Column("hedged", sa.Boolean, nullable=False),
    sa.Column("incident_ref", sa.String(32)),
)

# Evidence spans of claims and incidents; entity mentions have their own table.
evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    _document_fk(),
    sa.Column("claim_pk", sa.Integer, sa.ForeignKey("claims.pk", ondelete="CASCADE"), index=True),
    sa.Column("incident_pk", sa.Integer, sa.ForeignKey("incidents.pk", ondelete="CASCADE"), index=True),
    sa.Column("start", sa.Integer, nullable=False),
    sa.Column("end", sa.Integer, nullable=False),
    sa.CheckConstraint("(claim_pk IS NULL) <> (incident_pk IS NULL)", name="one_owner"),
)

dossiers = sa.Table(
    "dossiers",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("updated", Timestamp, nullable=False),
)

dossier_documents = sa.Table(
    "dossier_documents",
    metadata,
    sa.Column("dossier_id", sa.String(200), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "document_id",
        sa.String(200),
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)

ingestion_errors = sa.Table(
    "ingestion_errors",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False, index=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("time", Timestamp, nullable=False, index=True),
    # A re-run meets the same bad file again: it is counted, not listed twice.
    sa.Column("occurrences", sa.Integer, nullable=False),
)

# Lookup keys of each dossier (shared actor names, victim>attributed state pairs, stories): a new
# record is correlated against the dossiers it shares a key with, never against all of them.
dossier_keys = sa.Table(
    "dossier_keys",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("dossier_id", sa.String(200), sa.ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "dossier_id"),
)

# Documents stored but not yet placed in dossiers. The row is written in the document's own
# transaction and removed in the dossiers' transaction, so a run killed in between correlates
# the document on the next run instead of forgetting it.
correlation_queue = sa.Table(
    "correlation_queue",
    metadata,
    sa.Column("document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), primary_key=True),
)

# The MinHash sketch of each document (cyberops.correlate.duplicates), to compare a new document
# with the candidates its keys find.
document_signatures = sa.Table(
    "document_signatures",
    metadata,
    sa.Column("document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column("signature", JSONType, nullable=False),
)

# A few of the smallest sketch hashes per document: a near-duplicate shares at least one of them.
signature_keys = sa.Table(
    "signature_keys",
    metadata,
    sa.Column("key", sa.String(16), primary_key=True),
    sa.Column("document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), primary_key=True),
    sa.Index(None, "document_pk"),
)

# A copy of a story (wire copy, re-fetch with small edits) points at the first stored document
# of the story, its canonical; canonical documents have no row. "N copies" counts these links.
near_duplicates = sa.Table(
    "near_duplicates",
    metadata,
    sa.Column("document_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "canonical_pk", sa.Integer, sa.ForeignKey("documents.pk", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("similarity", sa.Float, nullable=False),
)

feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("url", sa.Text, primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_polled", Timestamp),
    # Canonical URLs of the items already taken (cyberops.ingest.feeds.FeedState.seen).
    sa.Column("seen", JSONType),
)

# API tokens of the web app (cyberops.web.tokens uses it); described here so that the
# migrations and their comparison test see every table.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("created", Timestamp, nullable=False),
)

# Search reads these columns for every matching document: from the index alone, never the whole row
# (migration 0004, docs/decisions/search-speed.md).
sa.Index("ix_documents_search", documents.c.pk, documents.c.published, documents.c.language,
         documents.c.outlet, documents.c.relevant)  # fmt: skip
sa.Index("ix_documents_language_published", documents.c.language, documents.c.published)
sa.Index("ix_claims_document_facets", claims.c.document_pk, claims.c.kind, claims.c.speaker_state,
         claims.c.subject_state)  # fmt: skip
sa.Index("ix_mentions_document_entity", mentions.c.document_pk, mentions.c.entity_pk)
sa.Index("ix_incident_types_document_type", incident_types.c.document_pk, incident_types.c.type)

# Created by the migrations for one dialect only; the schema comparison skips them.
FULLTEXT_OBJECTS = frozenset(
    {
        "documents_fts",
        "documents_fts_data",
        "documents_fts_idx",
        "documents_fts_docsize",
        "documents_fts_config",
        "documents_fts_content",
        "search_vector",
        "ix_documents_search_vector",
    }
)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic hook: compare every object but the dialect-specific full-text ones."""
    return name not in FULLTEXT_OBJECTS
