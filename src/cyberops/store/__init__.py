"""The persistent corpus: records in SQLite (embedded default) or PostgreSQL, with search, errors and dossiers.

Build a store where the program starts::

    store = RecordStore.open(settings.database_url)
"""

from cyberops.store.engine import StoreError, create_engine
from cyberops.store.migrate import current_revision, ensure_schema, head_revision, upgrade, upgrade_database
from cyberops.store.records import (
    Dossier,
    DossierSummary,
    FeedState,
    IngestionError,
    RecordStore,
    SaveResult,
)
from cyberops.store.search import ClaimChip, Hit, SearchFilters, SearchResult

__all__ = [
    "ClaimChip",
    "Dossier",
    "DossierSummary",
    "FeedState",
    "Hit",
    "IngestionError",
    "RecordStore",
    "SaveResult",
    "SearchFilters",
    "SearchResult",
    "StoreError",
    "create_engine",
    "current_revision",
    "ensure_schema",
    "head_revision",
    "upgrade",
    "upgrade_database",
]
