"""Search indexes: the columns search reads for every matching document, so it never touches a whole row.

- ``documents (pk, published, language, outlet, relevant)``: the ranking statement joins each full-text
  match to its document for the date and the filters; on SQLite those columns sit behind the text and the
  raw bytes (overflow pages), and reading them from this index made a broad term about 3 times cheaper.
- ``documents (language, published)``: a language and a date range, counted and ordered from the index.
- ``claims``, ``mentions`` and ``incident_types`` by document with the values the facets count: the facets
  read the index alone. See docs/decisions/search-speed.md.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_documents_search", "documents", ["pk", "published", "language", "outlet", "relevant"]),
    ("ix_documents_language_published", "documents", ["language", "published"]),
    ("ix_claims_document_facets", "claims", ["document_pk", "kind", "speaker_state", "subject_state"]),
    ("ix_mentions_document_entity", "mentions", ["document_pk", "entity_pk"]),
    ("ix_incident_types_document_type", "incident_types", ["document_pk", "type"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
