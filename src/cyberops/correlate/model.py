"""The dossier value types: what correlation produces and the store saves.

A :class:`Dossier` is one operation followed across documents. It keeps its :class:`Member`
incidents (one per document incident, with what linking needs, so that new records can be
correlated without reloading old ones) and a :class:`Event` timeline. Its summary fields
(title, states, actors, types, documents) are derived from those two by :meth:`Dossier.refresh`.
Everything round-trips through ``to_dict``/``from_dict`` as plain JSON.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any

# Events of one day keep this order, so a report comes before the reactions to it.
EVENT_KINDS: tuple[str, ...] = (
    "report",
    "attribution",
    "denial",
    "counter_accusation",
    "response",
    "admission",
    "cooperation",
)
# Named things more specific to one operation come first in titles.
_SPECIFICITY = {"operation": 0, "malware": 1, "threat_actor": 2}


def normalize_name(name: str) -> str:
    """Case, accents and punctuation folded, so that "Fancy-Bear" and "fancy bear" meet."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in stripped).split())


@dataclass
class EntityRef:
    """A named actor, malware or operation tied to an incident; ``keys`` are what matching compares."""

    name: str
    type: str
    state: str | None = None
    keys: list[str] = field(default_factory=list)


@dataclass
class Member:
    """One incident of one document inside a dossier, with the features the linking rule reads."""

    document_id: str
    incident_id: str
    date: str | None = None
    types: list[str] = field(default_factory=list)
    victim_states: list[str] = field(default_factory=list)
    attributed_states: list[str] = field(default_factory=list)
    entities: list[EntityRef] = field(default_factory=list)
    # The near-duplicate group of the document (its canonical id), when the caller knows it.
    story: str | None = None
    # Bottom-k MinHash of the words of the incident's evidence sentences (see ``extract``).
    sketch: list[int] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"{self.document_id}#{self.incident_id}"

    def entity_keys(self) -> set[str]:
        return {key for entity in self.entities for key in entity.keys}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Member:
        values: dict[str, Any] = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["entities"] = [EntityRef(**e) for e in data.get("entities") or []]
        return cls(**values)


@dataclass
class Event:
    """One dated step of a dossier's timeline, with its source and the sentence that says it."""

    kind: str
    date: str | None
    document_id: str
    incident_id: str | None = None
    claim_id: str | None = None
    outlet: str | None = None
    language: str | None = None
    url: str | None = None
    title: str | None = None
    speaker: str | None = None
    speaker_role: str | None = None
    speaker_state: str | None = None
    subject_state: str | None = None
    subject_actor: str | None = None
    measure: str | None = None
    hedged: bool = False
    # For a report: the incident as the document describes it.
    types: list[str] = field(default_factory=list)
    victim_states: list[str] = field(default_factory=list)
    attributed_states: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    evidence: str = ""
    spans: list[list[int]] = field(default_factory=list)

    def sort_key(self) -> tuple[Any, ...]:
        kind = EVENT_KINDS.index(self.kind) if self.kind in EVENT_KINDS else len(EVENT_KINDS)
        return (self.date is None, self.date or "", self.document_id, kind, self.claim_id or "")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


@dataclass
class Accusation:
    """Who holds whom responsible (or denies, or answers back), counted over the timeline."""

    kind: str
    speaker_state: str | None
    subject_state: str | None
    count: int = 1


@dataclass
class Dossier:
    id: str
    key: str
    title: str = ""
    first_date: str | None = None
    last_date: str | None = None
    actors: list[str] = field(default_factory=list)
    victim_states: list[str] = field(default_factory=list)
    attributed_states: list[str] = field(default_factory=list)
    accuser_states: list[str] = field(default_factory=list)
    denier_states: list[str] = field(default_factory=list)
    responder_states: list[str] = field(default_factory=list)
    accusations: list[Accusation] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    timeline: list[Event] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dossier:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["accusations"] = [Accusation(**a) for a in data.get("accusations") or []]
        values["members"] = [Member.from_dict(m) for m in data.get("members") or []]
        values["timeline"] = [Event.from_dict(e) for e in data.get("timeline") or []]
        return cls(**values)

    def actor_keys(self) -> set[str]:
        """Normalized names, aliases and KB ids of every actor, malware and operation in the dossier."""
        return {key for member in self.members for key in member.entity_keys()}

    def matches_actor(self, name: str) -> bool:
        """True when ``name`` (any alias, or a KB id such as ``mitre:G0007``) names one of its actors."""
        wanted = normalize_name(name)
        return any(key == wanted or key == name.casefold() for key in self.actor_keys())

    def refresh(self) -> None:
        """Recompute the summary fields from the members and the timeline."""
        self.members.sort(key=lambda m: (m.date is None, m.date or "", m.document_id, m.incident_id))
        self.timeline.sort(key=Event.sort_key)
        dates = sorted(d for d in [m.date for m in self.members] + [e.date for e in self.timeline] if d)
        self.first_date = dates[0] if dates else None
        self.last_date = dates[-1] if dates else None
        self.documents = list(dict.fromkeys(m.document_id for m in self.members))
        self.victim_states = _ranked(s for m in self.members for s in m.victim_states)
        self.attributed_states = _ranked(s for m in self.members for s in m.attributed_states)
        self.incident_types = _ranked(t for m in self.members for t in m.types)
        claims = [e for e in self.timeline if e.kind != "report"]
        self.accuser_states = _ranked(
            e.speaker_state for e in claims if e.kind in ("attribution", "counter_accusation") and e.speaker_state
        )
        self.denier_states = _ranked(e.speaker_state for e in claims if e.kind == "denial" and e.speaker_state)
        self.responder_states = _ranked(e.speaker_state for e in claims if e.kind == "response" and e.speaker_state)
        pairs = Counter((e.kind, e.speaker_state, e.subject_state) for e in claims if e.kind != "cooperation")
        self.accusations = [
            Accusation(kind, speaker, subject, count)
            for (kind, speaker, subject), count in sorted(
                pairs.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or "", item[0][2] or "")
            )
        ]
        self.actors = _actor_names(self.members)
        self.title = _title(self)


def _ranked(values: Any) -> list[str]:
    """Distinct values, most frequent first, ties alphabetical: stable across runs."""
    counts = Counter(v for v in values if v)
    return [value for value, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _actor_names(members: list[Member]) -> list[str]:
    # One line per distinct entity across languages: refs sharing a key are the same entity,
    # named by the spelling used most often.
    groups: list[tuple[set[str], Counter[str], str]] = []
    for member in members:
        for entity in member.entities:
            keys = set(entity.keys)
            for group_keys, names, _ in groups:
                if group_keys & keys:
                    group_keys |= keys
                    names[entity.name] += 1
                    break
            else:
                groups.append((keys, Counter({entity.name: 1}), entity.type))
    ordered = sorted(groups, key=lambda g: (_SPECIFICITY.get(g[2], 3), -sum(g[1].values())))
    # max() keeps the first of equals: the name of the earliest report.
    return [max(names, key=names.__getitem__) for _, names, _ in ordered]


def _title(dossier: Dossier) -> str:
    parts = []
    if dossier.actors:
        parts.append(", ".join(dossier.actors[:2]))
    what = ", ".join(dossier.incident_types[:2]) or "operation"
    if dossier.victim_states:
        what += " against " + ", ".join(dossier.victim_states[:3])
    if dossier.attributed_states:
        what += " attributed to " + ", ".join(dossier.attributed_states[:3])
    parts.append(what)
    return ": ".join(parts)
