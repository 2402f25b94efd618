"""The only place a spaCy Doc becomes part of a Record.

The screen makes the Record (id, text, language, date, relevance) from the raw string; for a
relevant article the components (``components.py``) leave its claims, entities and incidents on
the Doc, and ``to_record`` moves them onto the Record, so no Doc leaves ``nlp/``.
"""

from __future__ import annotations

from spacy.tokens import Doc

from cyberops.record import Record


def to_record(doc: Doc, record: Record) -> Record:
    """``record`` with the claims, entities and incidents the components found in ``doc``."""
    record.claims = doc._.claims
    record.entities = doc._.entities
    record.incidents = doc._.incidents
    return record
