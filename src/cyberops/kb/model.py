"""The public value types of the knowledge base: what a lookup or a scan returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MatchKind = Literal["entity", "state"]
StateForm = Literal["name", "demonym", "metonym"]


@dataclass(frozen=True, slots=True)
class KBEntry:
    """One canonical entity: a threat actor, malware, operation, organization or person."""

    id: str
    name: str
    type: str
    state: str | None
    aliases: tuple[str, ...]
    kb: dict[str, str] = field(default_factory=dict)
    # For malware and operations: the incident type its use suggests (RECORD.md's closed set).
    malware_kind: str | None = None
    # For persons: the office they speak from ("foreign ministry spokesperson").
    role: str | None = None


@dataclass(frozen=True, slots=True)
class StateTerm:
    """How a state was named: its code, the kind of form, and the language of the form."""

    code: str
    form: StateForm
    lang: str


@dataclass(frozen=True, slots=True)
class KBMatch:
    """A mention found by :meth:`KnowledgeBase.scan`; offsets index the original text."""

    start: int
    end: int
    text: str
    entry_id: str
    kind: MatchKind


@dataclass(frozen=True, slots=True)
class AliasTarget:
    """What one normalised alias may point to, with the conditions under which it counts.

    ``exact`` holds the surfaces that must appear with exactly this case (``None``: any case).
    ``common`` aliases are ordinary words and need a cyber cue nearby: within the wide
    window when 1, within the narrow one when 2 (very ordinary words).
    ``context`` names a cue group of which one word must occur in the text when ``required``,
    and which otherwise only makes this target win over others.
    """

    entry_id: str
    kind: MatchKind | Literal["block"]  # "block": a longer name that hides what it contains
    exact: frozenset[str] | None = None
    stem: bool = False
    common: int = 0
    context: str | None = None
    required: bool = False
    priority: int = 0
