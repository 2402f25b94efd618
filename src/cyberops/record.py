"""The extraction record: ``shared/spec/RECORD.md`` as typed models.

An :class:`Article` is what ``ingest`` hands to ``analyze``; a :class:`Record`
is what ``analyze`` hands to everything downstream. Both are plain
dataclasses so that they cost nothing to build and serialize with
:meth:`Record.to_dict` into exactly the JSON shape of RECORD.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, cast

EntityType = Literal["threat_actor", "malware", "operation", "person", "organization"]
ENTITY_TYPES: tuple[str, ...] = ("threat_actor", "malware", "operation", "person", "organization")


def as_entity_type(value: str) -> EntityType:
    """``value`` checked to be an :data:`EntityType` (KB entries and mentions carry it as a plain string)."""
    if value not in ENTITY_TYPES:
        raise ValueError(f"{value!r} is not an entity type; expected one of {', '.join(ENTITY_TYPES)}")
    return cast(EntityType, value)


IncidentType = Literal[
    "espionage",
    "data_breach",
    "ransomware",
    "ddos",
    "defacement",
    "sabotage",
    "hack_and_leak",
    "financial_theft",
    "phishing",
    "surveillance",
    "vulnerability",
]
INCIDENT_TYPES: tuple[str, ...] = (
    "espionage",
    "data_breach",
    "ransomware",
    "ddos",
    "defacement",
    "sabotage",
    "hack_and_leak",
    "financial_theft",
    "phishing",
    "surveillance",
    "vulnerability",
)

ClaimKind = Literal["attribution", "denial", "counter_accusation", "response", "admission", "cooperation"]
CLAIM_KINDS: tuple[str, ...] = (
    "attribution",
    "denial",
    "counter_accusation",
    "response",
    "admission",
    "cooperation",
)
MEASURES: tuple[str, ...] = (
    "sanction",
    "indictment",
    "arrest",
    "expulsion",
    "summons",
    "protest",
    "retaliation",
    "other",
)


@dataclass(frozen=True, order=True)
class Span:
    """Character offsets into the record's ``text``; ``end`` is exclusive."""

    start: int
    end: int

    def to_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end}


@dataclass
class Article:
    """One document as ingested: cleaned text plus what the source told us.

    ``raw_text`` keeps the text as obtained (page furniture included) because a
    date line or a credit line that the cleaner drops can still date the
    article; every offset in the record points into ``text``, never here.
    """

    id: str
    text: str
    url: str | None = None
    title: str | None = None
    language: str | None = None
    published: str | None = None
    outlet: str | None = None
    raw_text: str | None = None


@dataclass
class Entity:
    id: str
    name: str
    type: EntityType
    state: str | None = None
    aliases: list[str] = field(default_factory=list)
    kb: dict[str, str] = field(default_factory=dict)
    mentions: list[Span] = field(default_factory=list)
    role: str | None = None


@dataclass
class Incident:
    id: str
    status: Literal["reported", "referenced"]
    types: list[str] = field(default_factory=list)
    victim_states: list[str] = field(default_factory=list)
    victim_sectors: list[str] = field(default_factory=list)
    attributed_states: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)


@dataclass
class Speaker:
    name: str | None = None
    role: str | None = None
    entity: str | None = None


@dataclass
class Claim:
    id: str
    kind: ClaimKind
    speaker: Speaker = field(default_factory=Speaker)
    speaker_state: str | None = None
    subject_state: str | None = None
    subject_actor: str | None = None
    measure: str | None = None
    hedged: bool = False
    incident: str | None = None
    evidence: list[Span] = field(default_factory=list)
    # Which cue words produced this claim: the "why" an analyst can check.
    cues: list[str] = field(default_factory=list)


@dataclass
class Record:
    id: str
    text: str
    url: str | None = None
    title: str | None = None
    language: str | None = None
    published: str | None = None
    relevant: bool = False
    entities: list[Entity] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    outlet: str | None = None
    analyzer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of RECORD.md (spans as ``{"start", "end"}`` objects)."""
        return asdict(self)

    def spans(self) -> list[Span]:
        """Every evidence span in the record, for checks and highlighting."""
        found: list[Span] = []
        for entity in self.entities:
            found.extend(entity.mentions)
        for incident in self.incidents:
            found.extend(incident.evidence)
        for claim in self.claims:
            found.extend(claim.evidence)
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        def spans(items: list[dict[str, int]] | None) -> list[Span]:
            return [Span(s["start"], s["end"]) for s in items or []]

        entities = [
            Entity(
                id=e["id"],
                name=e["name"],
                type=e["type"],
                state=e.get("state"),
                aliases=list(e.get("aliases") or []),
                kb=dict(e.get("kb") or {}),
                mentions=spans(e.get("mentions")),
                role=e.get("role"),
            )
            for e in data.get("entities") or []
        ]
        incidents = [
            Incident(
                id=i["id"],
                status=i["status"],
                types=list(i.get("types") or []),
                victim_states=list(i.get("victim_states") or []),
                victim_sectors=list(i.get("victim_sectors") or []),
                attributed_states=list(i.get("attributed_states") or []),
                actors=list(i.get("actors") or []),
                evidence=spans(i.get("evidence")),
            )
            for i in data.get("incidents") or []
        ]
        claims = []
        for c in data.get("claims") or []:
            speaker = c.get("speaker") or {}
            if isinstance(speaker, str):
                speaker = {"name": speaker}
            claims.append(
                Claim(
                    id=c["id"],
                    kind=c["kind"],
                    speaker=Speaker(**{k: speaker.get(k) for k in ("name", "role", "entity")}),
                    speaker_state=c.get("speaker_state"),
                    subject_state=c.get("subject_state"),
                    subject_actor=c.get("subject_actor"),
                    measure=c.get("measure"),
                    hedged=bool(c.get("hedged")),
                    incident=c.get("incident"),
                    evidence=spans(c.get("evidence")),
                    cues=list(c.get("cues") or []),
                )
            )
        return cls(
            id=data["id"],
            text=data.get("text") or "",
            url=data.get("url"),
            title=data.get("title"),
            language=data.get("language"),
            published=data.get("published"),
            relevant=bool(data.get("relevant")),
            entities=entities,
            incidents=incidents,
            claims=claims,
            outlet=data.get("outlet"),
            analyzer=data.get("analyzer"),
        )
