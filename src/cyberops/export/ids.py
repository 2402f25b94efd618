"""Deterministic identifiers: the same key always gives the same STIX id or MISP uuid.

Ids are UUIDv5 under one cyberops namespace, so that exporting a record again
updates the objects a platform already holds instead of duplicating them.
"""

from __future__ import annotations

import unicodedata
import uuid

# Fixed forever: changing it would change every id cyberops ever exported.
NAMESPACE = uuid.UUID("5a0c9e8e-3f0b-5c4f-9d51-c7b3e0a1d2f4")


def key_part(text: str) -> str:
    """A name as it enters a key: Unicode-normalised, case-folded, single-spaced."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def stable_uuid(*parts: str) -> str:
    """UUIDv5 of the parts joined by ``|`` (parts must not themselves be ambiguous)."""
    return str(uuid.uuid5(NAMESPACE, "|".join(parts)))


def stix_id(stix_type: str, *parts: str) -> str:
    return f"{stix_type}--{stable_uuid(stix_type, *parts)}"
