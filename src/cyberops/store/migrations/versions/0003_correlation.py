"""Correlation at ingest: near-duplicate signatures and links, dossier lookup keys, correlation queue, feeds seen.

Documents stored before this revision have no signature: ``cyberops correlate`` signs them and
rebuilds the dossiers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _document_pk(primary_key: bool) -> sa.Column:
    return sa.Column(
        "document_pk", sa.Integer(), sa.ForeignKey("documents.pk", ondelete="CASCADE"), primary_key=primary_key
    )


def upgrade() -> None:
    op.create_table(
        "dossier_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("dossier_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossiers.id"], name=op.f("fk_dossier_keys_dossier_id_dossiers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", "dossier_id", name=op.f("pk_dossier_keys")),
    )
    op.create_index(op.f("ix_dossier_keys_dossier_id"), "dossier_keys", ["dossier_id"])
    op.create_table(
        "correlation_queue",
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_pk"], ["documents.pk"], name=op.f("fk_correlation_queue_document_pk_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_pk", name=op.f("pk_correlation_queue")),
    )  # fmt: skip
    op.create_table(
        "document_signatures",
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.Column("signature", JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_pk"], ["documents.pk"], name=op.f("fk_document_signatures_document_pk_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_pk", name=op.f("pk_document_signatures")),
    )  # fmt: skip
    op.create_table(
        "signature_keys",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_pk"], ["documents.pk"], name=op.f("fk_signature_keys_document_pk_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", "document_pk", name=op.f("pk_signature_keys")),
    )
    op.create_index(op.f("ix_signature_keys_document_pk"), "signature_keys", ["document_pk"])
    op.create_table(
        "near_duplicates",
        sa.Column("document_pk", sa.Integer(), nullable=False),
        sa.Column("canonical_pk", sa.Integer(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_pk"], ["documents.pk"], name=op.f("fk_near_duplicates_document_pk_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["canonical_pk"], ["documents.pk"], name=op.f("fk_near_duplicates_canonical_pk_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_pk", name=op.f("pk_near_duplicates")),
    )  # fmt: skip
    op.create_index(op.f("ix_near_duplicates_canonical_pk"), "near_duplicates", ["canonical_pk"])
    # A nullable column with no default: a plain ALTER TABLE on both backends, no table copy.
    op.add_column("feeds", sa.Column("seen", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("seen")
    op.drop_index(op.f("ix_near_duplicates_canonical_pk"), table_name="near_duplicates")
    op.drop_table("near_duplicates")
    op.drop_index(op.f("ix_signature_keys_document_pk"), table_name="signature_keys")
    op.drop_table("signature_keys")
    op.drop_table("document_signatures")
    op.drop_table("correlation_queue")
    op.drop_index(op.f("ix_dossier_keys_dossier_id"), table_name="dossier_keys")
    op.drop_table("dossier_keys")
