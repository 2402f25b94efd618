"""Incidents: the operation an article reports, and the ones it only cites.

The reported incident gathers the article's incident-type cues, the states
on the victims' side, the states and actors its attribution claims name, and
its evidence sentences. A named malware or operation that appears only once
or twice outside the lead, in sentences that are not about the reported
event, is background ("referenced"): the seed article cites WannaCry and
PRISM that way. Cues inside background sentences do not type the reported
incident.
"""

from __future__ import annotations

from collections.abc import Callable

from cyberops.nlp.incident_types import TypeCue
from cyberops.nlp.mentions import SentenceView
from cyberops.nlp.sides import is_victim
from cyberops.record import Claim, Entity, Incident, Span

# How much of the article counts as its lead: the title and first sentences.
LEAD_SENTENCES = 4


def build_incidents(
    sentences: list[SentenceView],
    entities: list[Entity],
    claims: list[Claim],
    type_cues: list[TypeCue],
    decide_types: Callable[[list[TypeCue]], list[str]],
    type_hints: dict[str, str],
) -> list[Incident]:
    """The reported incident (if the article reports one) and the referenced ones."""
    lead_end = sentences[min(LEAD_SENTENCES, len(sentences)) - 1].span.end if sentences else 0
    background = _background_entities(sentences, entities, claims, lead_end)
    background_spans = [span for entity in background for span in _sentences_of(sentences, entity.mentions)]

    def in_background(start: int) -> bool:
        return any(span.start <= start < span.end for span in background_spans)

    main_cues = [cue for cue in type_cues if not in_background(cue.start)]
    types = list(decide_types(main_cues))
    # A malware's KB type adds to the types only where the text's own cues
    # agree: many family names are common words ("PHP", "Explorer"), and a
    # ransomware family named in a vulnerability write-up is not a ransom event.
    corroborated = {cue.type for cue in main_cues}
    attributed = [c.subject_state for c in claims if c.kind in ("attribution", "response") and c.subject_state]
    attributed = list(dict.fromkeys(s for s in attributed if s))
    actors = []
    background_ids = {id(e) for e in background}
    for entity in entities:
        only_background = all(in_background(span.start) for span in entity.mentions)
        if (
            entity.type in ("threat_actor", "malware", "operation")
            and id(entity) not in background_ids
            and not (only_background)
        ):
            actors.append(entity.name)
            hint = type_hints.get(entity.name)
            if hint and hint not in types and entity.type == "malware" and hint in corroborated:
                types.append(hint)
    victims = _victim_states(sentences, attributed, in_background)
    incidents: list[Incident] = []
    evidence = _evidence(sentences, main_cues, claims)
    if types or attributed or actors or any(c.kind in ("attribution", "denial") for c in claims):
        incidents.append(
            Incident(
                id="i1",
                status="reported",
                types=types,
                victim_states=victims,
                attributed_states=attributed,
                actors=actors,
                evidence=evidence,
            )
        )
        for claim in claims:
            if claim.kind != "cooperation":
                claim.incident = "i1"
    for entity in background:
        hint = type_hints.get(entity.name)
        incidents.append(
            Incident(
                id=f"i{len(incidents) + 1}",
                status="referenced",
                types=[hint] if hint else [],
                attributed_states=[],
                actors=[entity.name],
                evidence=_sentences_of(sentences, entity.mentions),
            )
        )
    return incidents


def _background_entities(
    sentences: list[SentenceView], entities: list[Entity], claims: list[Claim], lead_end: int
) -> list[Entity]:
    claimed_actors = {c.subject_actor for c in claims if c.subject_actor}
    background = []
    for entity in entities:
        if entity.type not in ("malware", "operation") or not entity.mentions:
            continue
        if entity.name in claimed_actors or any(m.start < lead_end for m in entity.mentions):
            continue
        if len(_sentences_of(sentences, entity.mentions)) <= 2:
            background.append(entity)
    return background


def _sentences_of(sentences: list[SentenceView], spans: list[Span]) -> list[Span]:
    found = []
    for sentence in sentences:
        if any(sentence.span.start <= s.start < sentence.span.end for s in spans):
            found.append(sentence.span)
    return found


def _victim_states(
    sentences: list[SentenceView], attributed: list[str], in_background: Callable[[int], bool]
) -> list[str]:
    victims = []
    for sentence in sentences:
        if in_background(sentence.span.start) or not sentence.has("misconduct"):
            continue
        for mention in sentence.states():
            if mention.kind == "person" or mention.state in attributed:
                continue
            if is_victim(sentence, mention):
                victims.append(mention.state)
    return list(dict.fromkeys(v for v in victims if v))


def _evidence(sentences: list[SentenceView], cues: list, claims: list[Claim]) -> list[Span]:
    spans = []
    for sentence in sentences:
        if any(sentence.span.start <= c.start < sentence.span.end for c in cues):
            spans.append(sentence.span)
            if len(spans) >= 3:
                break
    for claim in claims:
        for span in claim.evidence[:1]:
            if span not in spans and len(spans) < 5:
                spans.append(span)
    return sorted(spans)
