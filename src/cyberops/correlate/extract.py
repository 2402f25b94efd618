"""From one Record to what correlation works on: member incidents and timeline events.

Only ``reported`` incidents become members: a ``referenced`` one is background the article
recalls (the seed page cites WannaCry that way), and letting it link would merge every story
that mentions a famous attack. A record with claims but no reported incident still gets one
member built from its claims, so that a denial-only article lands in a dossier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cyberops.correlate.duplicates import signature
from cyberops.correlate.model import EntityRef, Event, Member, normalize_name
from cyberops.record import Claim, Entity, Incident, Record, Span

LINKED_TYPES = ("threat_actor", "malware", "operation")
# Claim kinds that show an article is about some operation even when no incident was extracted.
_INCIDENT_CLAIMS = ("attribution", "denial", "counter_accusation", "response", "admission")
# Id of the member built from claims alone.
CLAIMS_INCIDENT = "claims"
# Evidence text longer than this is cut: a timeline line, not the article.
MAX_EVIDENCE = 600
# Names shorter than this (after folding) are too ambiguous to link two articles.
MIN_KEY_LENGTH = 3
# Evidence sketch: single words (the facts of one incident told in the same words), this many kept.
EVIDENCE_SKETCH = 64
# Evidence with fewer distinct words than this says too little to compare.
MIN_EVIDENCE_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?。！？؟\n]")


@dataclass
class Extracted:
    """The members and events of one record; each event names the member it belongs to."""

    members: list[Member]
    events: list[tuple[str, Event]]


def extract(record: Record, first_seen: str | None = None, story: str | None = None) -> Extracted:
    date = record.published or first_seen
    reported = [i for i in record.incidents if i.status == "reported"]
    background = {normalize_name(a) for i in record.incidents if i.status == "referenced" for a in i.actors}
    members: list[Member] = []
    events: list[tuple[str, Event]] = []
    for incident in reported:
        refs = _incident_entities(record, incident, background, single=len(reported) == 1)
        if not (incident.types or incident.victim_states or incident.attributed_states or refs):
            continue  # nothing to link on or to show
        member = Member(
            document_id=record.id,
            incident_id=incident.id,
            date=date,
            types=list(incident.types),
            victim_states=list(incident.victim_states),
            attributed_states=list(incident.attributed_states),
            entities=refs,
            story=story,
            sketch=evidence_sketch(evidence_text(record.text, incident.evidence)),
        )
        members.append(member)
        events.append((incident.id, _report_event(record, incident, member, date)))
    if not members and any(c.kind in _INCIDENT_CLAIMS for c in record.claims):
        members.append(_claims_member(record, date, background, story))
    if not members:
        return Extracted([], [])
    for claim in record.claims:
        events.append((_incident_of(claim, members), _claim_event(record, claim, date)))
    return Extracted(members, events)


def evidence_sketch(text: str) -> list[int]:
    """MinHash sketch of the words of an incident's evidence; empty when it is too short to compare."""
    sig = signature(text, k=EVIDENCE_SKETCH, shingle=1)
    return list(sig.hashes) if sig.shingles >= MIN_EVIDENCE_WORDS else []


def entity_ref(entity: Entity) -> EntityRef:
    keys = {normalize_name(entity.name), *(normalize_name(a) for a in entity.aliases)}
    keys = {k for k in keys if len(k) >= MIN_KEY_LENGTH}
    keys |= {f"{source}:{value}".casefold() for source, value in entity.kb.items() if value}
    return EntityRef(entity.name, entity.type, entity.state, sorted(keys))


def _incident_entities(record: Record, incident: Incident, background: set[str], single: bool) -> list[EntityRef]:
    """The named actors, malware and operations this incident is about.

    Its own ``actors``; entities named inside its evidence; and, when the article reports one
    incident only, the article's other named actors linked to the attributed state. Left out:
    names the article only recalls as background, and actors linked to a state other than the
    ones the incident is attributed to (the accused citing someone else's operation in return).
    """
    by_name: dict[str, Entity] = {}
    for entity in record.entities:
        for name in (entity.id, entity.name, *entity.aliases):
            by_name.setdefault(normalize_name(name), entity)
    chosen: dict[str, EntityRef] = {}
    own = {normalize_name(a) for a in incident.actors}
    for actor in incident.actors:
        known = by_name.get(normalize_name(actor))
        ref = entity_ref(known) if known else EntityRef(actor, "threat_actor", None, [normalize_name(actor)])
        chosen.setdefault(ref.name, ref)
    for entity in record.entities:
        if entity.type not in LINKED_TYPES:
            continue
        inside = any(_within(m, incident.evidence) for m in entity.mentions)
        # A name elsewhere in the article is this incident's only when its state is the accused one.
        agrees = single and entity.state is not None and entity.state in incident.attributed_states
        if not (inside or agrees):
            continue
        if normalize_name(entity.name) in background and normalize_name(entity.name) not in own:
            continue
        chosen.setdefault(entity.name, entity_ref(entity))
    refs = [ref for ref in chosen.values() if ref.keys]
    if incident.attributed_states:
        refs = [r for r in refs if r.state is None or r.state in incident.attributed_states]
    return sorted(refs, key=lambda r: r.name)


def _claims_member(record: Record, date: str | None, background: set[str], story: str | None) -> Member:
    attributed = [
        c.subject_state for c in record.claims if c.kind in ("attribution", "denial", "response") and c.subject_state
    ]
    pseudo = Incident(id=CLAIMS_INCIDENT, status="reported", attributed_states=list(dict.fromkeys(attributed)))
    return Member(
        document_id=record.id,
        incident_id=CLAIMS_INCIDENT,
        date=date,
        attributed_states=pseudo.attributed_states,
        entities=_incident_entities(record, pseudo, background, single=True),
        story=story,
    )


def _incident_of(claim: Claim, members: list[Member]) -> str:
    """The member a claim belongs to: its own incident if that is a member, else the best state fit."""
    ids = {m.incident_id for m in members}
    if claim.incident is not None and claim.incident in ids:
        return claim.incident

    def fit(member: Member) -> int:
        states = set(member.attributed_states) | set(member.victim_states)
        return 2 * (claim.subject_state in member.attributed_states) + (claim.speaker_state in states)

    # max() keeps the first of equals: the article's first reported incident is its main one.
    return max(members, key=fit).incident_id


def _report_event(record: Record, incident: Incident, member: Member, date: str | None) -> Event:
    return Event(
        kind="report",
        date=date,
        document_id=record.id,
        incident_id=incident.id,
        outlet=record.outlet,
        language=record.language,
        url=record.url,
        title=record.title,
        types=list(incident.types),
        victim_states=list(incident.victim_states),
        attributed_states=list(incident.attributed_states),
        actors=[r.name for r in member.entities],
        evidence=evidence_text(record.text, incident.evidence),
        spans=[[s.start, s.end] for s in incident.evidence],
    )


def _claim_event(record: Record, claim: Claim, date: str | None) -> Event:
    return Event(
        kind=claim.kind,
        date=date,
        document_id=record.id,
        incident_id=claim.incident,
        claim_id=claim.id,
        outlet=record.outlet,
        language=record.language,
        url=record.url,
        title=record.title,
        speaker=claim.speaker.name,
        speaker_role=claim.speaker.role,
        speaker_state=claim.speaker_state,
        subject_state=claim.subject_state,
        subject_actor=claim.subject_actor,
        measure=claim.measure,
        hedged=claim.hedged,
        evidence=evidence_text(record.text, claim.evidence),
        spans=[[s.start, s.end] for s in claim.evidence],
    )


def evidence_text(text: str, spans: list[Span]) -> str:
    """The sentences the spans fall in, joined; a span shorter than a sentence is widened to it."""
    pieces: list[str] = []
    for span in sorted(spans)[:3]:
        if not 0 <= span.start < span.end <= len(text):
            continue
        start = span.start
        while start > 0 and not _SENTENCE_END.match(text[start - 1]):
            start -= 1
        found = _SENTENCE_END.search(text, max(span.end - 1, span.start))
        end = found.end() if found else len(text)
        piece = " ".join(text[start:end].split())
        if piece and piece not in pieces:
            pieces.append(piece)
    joined = " … ".join(pieces)
    return joined if len(joined) <= MAX_EVIDENCE else joined[: MAX_EVIDENCE - 1] + "…"


def _within(mention: Span, evidence: list[Span]) -> bool:
    return any(s.start <= mention.start and mention.end <= s.end for s in evidence)
