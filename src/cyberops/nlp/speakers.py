"""Who says it: find the speaker of a cue in its sentence.

With a dependency parse, the speaker is the subject of the verb that
governs the cue, or of the reporting verb above it ("..., Peskov said"):
we climb from the cue to the root and take the first subject that names
someone. Pronouns ("she added", "a-t-elle souligné") resolve to the last
named speaker of the article. Without a parse (languages with no model),
the nearest named mention before the cue, or after a reporting verb, is
taken instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from cyberops.nlp.claim_cues import CueMatch
from cyberops.nlp.mentions import Mention, SentenceView, mentions_in
from cyberops.nlp.sides import is_actor, is_victim
from cyberops.record import Span

_SUBJECT_DEPS = {"nsubj", "nsubjpass", "nsubj:pass", "csubj"}
# Verbs whose subject is a speaker: "said", "accused", "denied", "called for".
_REPORTING_GROUPS = ("speech", "attribution", "denial", "denial_weak", "call")
# Sentence-initial relative pronouns point at the noun they attach to.
_RELATIVE_TAGS = {"WDT", "WP"}


@dataclass
class Speaker:
    span: Span | None
    name: str | None = None
    role: str | None = None
    state: str | None = None
    entity: Mention | None = None


@dataclass
class SpeakerMemory:
    """The last named speaker, for pronouns and quotes that continue a statement."""

    last: Speaker | None = None

    def remember(self, speaker: Speaker) -> None:
        if speaker.state or speaker.name:
            self.last = speaker


def find_speaker(
    sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory, reporting_only: bool = False
) -> Speaker | None:
    """The speaker of ``cue``; ``None`` when the sentence does not say who speaks.

    With ``reporting_only`` (attributions), only the subject of a reporting or
    accusing verb counts: in "the White House said the SVR was behind the
    hack" the subject of "was" is the accused, the subject of "said" the speaker.
    """
    if sentence.doc is not None:
        found = _speaker_from_parse(sentence, cue, memory, reporting_only)
        if found is not None:
            return found
    return _speaker_from_order(sentence, cue, memory)


def describe(sentence: SentenceView, span: Span) -> Speaker:
    """Name, role and state of whoever is named inside ``span``."""
    # "groups associated with Russian intelligence": the state there is accused, not speaking.
    inside = [
        m
        for m in mentions_in(sentence.mentions, span.start, span.end)
        if not is_actor(sentence, m) and not (m.kind == "state" and m.form == "demonym" and is_victim(sentence, m))
    ]
    persons = [m for m in inside if m.kind == "person"]
    bodies = [m for m in inside if m.kind == "organization" and m.state]
    states = [m for m in inside if m.kind == "state"]
    orgs = [m for m in inside if m.kind == "organization"]
    entity = persons[0] if persons else (bodies[0] if bodies else (orgs[0] if orgs else None))
    state = None
    for group in (persons, bodies, states):
        with_state = [m for m in group if m.state]
        if with_state:
            state = with_state[0].state
            break
    text = sentence.text[span.start - sentence.span.start : span.end - sentence.span.start]
    name = entity.text if entity else (states[0].text if states else text.strip())
    role = None
    if entity is not None and entity.kind == "person":
        role_text = text[: entity.start - span.start].strip(" ,")
        role = role_text or None
    return Speaker(span=span, name=name, role=role, state=state, entity=entity)


def _informative(sentence: SentenceView, span: Span) -> bool:
    return any(
        m.kind in ("person", "organization", "state") for m in mentions_in(sentence.mentions, span.start, span.end)
    )


def _reporting(sentence: SentenceView, token: object) -> bool:
    start = sentence.span.start + token.idx  # type: ignore[attr-defined]
    return any(c.start <= start < c.end for group in _REPORTING_GROUPS for c in sentence.cues.get(group, []))


def _speaker_from_parse(
    sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory, reporting_only: bool
) -> Speaker | None:
    doc = sentence.doc
    offset = sentence.span.start
    char_span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")  # type: ignore[attr-defined]
    if char_span is None or len(char_span) == 0:
        return None
    token = char_span.root
    seen = set()
    # A reporting verb with no subject of its own ("joined the UK in attributing
    # the attack to Russia") takes the subject of the verb that controls it.
    inherit = False
    while token.i not in seen:
        seen.add(token.i)
        if reporting_only and _reporting(sentence, token) and not any(c.dep_ in _SUBJECT_DEPS for c in token.children):
            inherit = True
        if reporting_only and not inherit and not _reporting(sentence, token):
            if (
                token.dep_ in ("acl", "relcl")
                and _reporting(sentence, token) is False
                and _is_media(sentence, token.head, offset)
            ):
                return Speaker(span=_subtree_span(token.head, offset), name=token.head.text)
            if token.head is token:
                break
            token = token.head
            continue
        if token.dep_ in ("acl",) and _is_media(sentence, token.head, offset):
            # "media reports claiming that ...": the reports speak.
            return Speaker(span=_subtree_span(token.head, offset), name=token.head.text)
        for child in token.children:
            if child.dep_ not in _SUBJECT_DEPS:
                continue
            if child.pos_ == "PRON":
                if _is_relative(child) and token.head is not token:
                    antecedent = token.head
                    span = _subtree_span(antecedent, offset)
                    if _informative(sentence, span):
                        return describe(sentence, span)
                    if _is_media(sentence, antecedent, offset):
                        return Speaker(span=span, name=antecedent.text)
                    continue
                # "she added", "a-t-elle souligné" continue the last named speaker.
                if memory.last is not None and _is_speaker_pronoun(sentence, child, offset):
                    return memory.last
                continue
            span = _subtree_span(child, offset)
            if _informative(sentence, span):
                return describe(sentence, span)
            if _is_media(sentence, child, offset):
                # "reports say", "des rapports qui avancent": an unnamed source.
                return Speaker(span=span, name=child.text)
        if token.head is token:
            break
        token = token.head
    return None


def _is_speaker_pronoun(sentence: SentenceView, token: object, offset: int) -> bool:
    start = offset + token.idx  # type: ignore[attr-defined]
    return any(c.start <= start < c.end for c in sentence.cues.get("speaker_pronoun", []))


def _is_relative(token: object) -> bool:
    return token.tag_ in _RELATIVE_TAGS or "PronType=Rel" in str(token.morph)  # type: ignore[attr-defined]


def _is_media(sentence: SentenceView, token: object, offset: int) -> bool:
    start = offset + token.idx  # type: ignore[attr-defined]
    return any(c.start <= start < c.end for c in sentence.cues.get("media_source", []))


def _subtree_span(token: object, offset: int) -> Span:
    # Limit the subject to its first dozen tokens: a subject with a long relative
    # clause would otherwise swallow the states it is talking about.
    subtree = list(token.subtree)  # type: ignore[attr-defined]
    head_position = [t.i for t in subtree].index(token.i)  # type: ignore[attr-defined]
    low = max(0, head_position - 8)
    high = min(len(subtree), head_position + 5)
    first, last = subtree[low], subtree[high - 1]
    return Span(offset + first.idx, offset + last.idx + len(last.text))


def _speaker_from_order(sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory) -> Speaker | None:
    named = [m for m in sentence.mentions if m.kind in ("person", "organization", "state")]
    # "..., said X" / "selon X": the first name after a reporting verb.
    for speech in sentence.cues.get("speech", []):
        after = [m for m in named if m.start >= speech.end and m.start - speech.end < 60]
        if after and speech.start > cue.start:
            return describe(sentence, Span(after[0].start, after[0].end))
    before = [m for m in named if m.end <= cue.start]
    if before:
        # Prefer a person or body over a bare state term close to the cue.
        people = [m for m in before if m.kind != "state"]
        chosen = people[-1] if people else before[-1]
        return describe(sentence, Span(chosen.start, chosen.end))
    if memory.last is not None and _continues_quote(sentence):
        return memory.last
    return None


def _continues_quote(sentence: SentenceView) -> bool:
    return sentence.text[:1] in "\"“«„'‘「『"
