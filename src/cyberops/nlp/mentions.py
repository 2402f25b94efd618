"""Mentions: what the knowledge base and the NER found, in one shape.

A mention is a span of the record text that names a state (by name, demonym
or metonym such as "Kremlin") or an entity (a KB threat actor, malware,
operation, state body or person, or a person/organization found by NER).
Claims and incidents reason over mentions, never over raw KB matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cyberops.nlp.claim_cues import CueMatch, WordOrder
from cyberops.record import Span

if TYPE_CHECKING:
    # For annotations only: reading a record's mentions needs no spaCy import.
    from spacy.tokens import Doc


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    # "state" for a state term; otherwise the entity type of RECORD.md.
    kind: str
    state: str | None = None
    # For states: "name", "demonym" or "metonym". For entities: where it came from ("kb" or "ner").
    form: str | None = None
    entry_id: str | None = None

    @property
    def is_state(self) -> bool:
        return self.kind == "state"


@dataclass
class SentenceView:
    """One sentence with everything found in it; offsets are absolute."""

    index: int
    span: Span
    text: str
    mentions: list[Mention]
    cues: dict[str, list[CueMatch]]
    # The spaCy Doc of this sentence when it was parsed, else None.
    doc: Doc | None = None
    # Word-order facts of the language (from its claims.json options).
    order: WordOrder = WordOrder()

    def has(self, group: str) -> bool:
        return bool(self.cues.get(group))

    def first(self, group: str) -> CueMatch | None:
        found = self.cues.get(group)
        return found[0] if found else None

    def states(self) -> list[Mention]:
        return [m for m in self.mentions if m.state and m.kind in ("state", "organization", "person")]

    def of_kind(self, *kinds: str) -> list[Mention]:
        return [m for m in self.mentions if m.kind in kinds]


def mentions_in(mentions: Iterable[Mention], start: int, end: int) -> list[Mention]:
    return [m for m in mentions if m.start >= start and m.end <= end]
