"""Correlation over records: near-duplicate documents and incident dossiers.

Pure functions over :class:`cyberops.record.Record`; the store persists what they return
(dossiers and signatures are JSON-ready through ``to_dict``/``from_dict``).
"""

from cyberops.correlate.dossiers import (
    DossierUpdate,
    build_dossiers,
    dossier_id,
    dossier_keys,
    record_keys,
    update_dossiers,
)
from cyberops.correlate.duplicates import (
    DUPLICATE_THRESHOLD,
    DuplicateGroup,
    DuplicateIndex,
    Signature,
    find_near_duplicates,
    index_keys,
    record_signature,
    signature,
    similarity,
)
from cyberops.correlate.model import Accusation, Dossier, EntityRef, Event, Member

__all__ = [
    "DUPLICATE_THRESHOLD",
    "Accusation",
    "Dossier",
    "DossierUpdate",
    "DuplicateGroup",
    "DuplicateIndex",
    "EntityRef",
    "Event",
    "Member",
    "Signature",
    "build_dossiers",
    "dossier_id",
    "dossier_keys",
    "find_near_duplicates",
    "index_keys",
    "record_keys",
    "record_signature",
    "signature",
    "similarity",
    "update_dossiers",
]
