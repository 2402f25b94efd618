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

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cyberops.nlp.claim_cues import RESPONSE_MEASURES, CueMatch
from cyberops.nlp.mentions import Mention, SentenceView, mentions_in
from cyberops.nlp.sides import (
    is_actor,
    is_victim,
    modifies,
    qualified_as_actor,
    speaking_verbs,
    verb_first_subject,
)
from cyberops.record import Span

if TYPE_CHECKING:
    from spacy.tokens import Token

# Only an active subject speaks: the passive subject of "was accused" is the accused.
_SUBJECT_DEPS = {"nsubj", "csubj"}
_AGENT_DEPS = {"agent", "obl:agent"}
# Verbs whose subject is a speaker: "said", "accused", "denied", "called for".
_REPORTING_GROUPS = ("speech", "attribution", "denial", "denial_weak", "call")
# Verbs whose subject speaks for itself (in-subject states are the speaker's, not the accused).
_SPEAKER_VERB_GROUPS = ("speech", "denial", "denial_weak", "call")
# Sentence-initial relative pronouns point at the noun they attach to.
_RELATIVE_TAGS = {"WDT", "WP"}
_CLAUSE_END = re.compile(r"[,;:.!?«»\"“”()]")


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
    sentence: SentenceView,
    cue: CueMatch,
    memory: SpeakerMemory,
    reporting_only: bool = False,
    accused: Span | None = None,
) -> Speaker | None:
    """The speaker of ``cue``; ``None`` when the sentence does not say who speaks.

    With ``reporting_only`` (attributions), only the subject of a reporting or
    accusing verb counts: in "the White House said the SVR was behind the
    hack" the subject of "was" is the accused, the subject of "said" the speaker.
    A subject that holds the ``accused`` span is never the speaker.
    """
    found = find_speakers(sentence, cue, memory, reporting_only, accused)
    return found[0] if found else None


def find_speakers(
    sentence: SentenceView,
    cue: CueMatch,
    memory: SpeakerMemory,
    reporting_only: bool = False,
    accused: Span | None = None,
) -> list[Speaker]:
    """Like :func:`find_speaker`, but "according to the police and US intelligence" gives two."""
    if sentence.doc is not None:
        found = _speaker_from_parse(sentence, cue, memory, reporting_only, accused)
        if found is not None:
            return [found]
    sources = source_speakers(sentence, accused)
    if sources:
        return sources
    if sentence.doc is not None and reporting_only:
        # The parse found no reporting verb above the accusation: word order would
        # only guess (often the accused person himself); a quote may still continue.
        return [memory.last] if memory.last is not None and _continues_quote(sentence) else []
    found = _speaker_from_order(sentence, cue, memory, accused)
    return [found] if found is not None else []


def source_speakers(sentence: SentenceView, accused: Span | None = None) -> list[Speaker]:
    """The sources named after "according to", "selon", "citing": one speaker per state they name.

    The phrase runs from the cue to the next punctuation; media there ("selon
    la presse américaine") speak for no state.
    """
    speakers: list[Speaker] = []
    for phrase in _source_phrases(sentence):
        if _holds_press(sentence, phrase):
            speakers.append(Speaker(span=phrase, name=_text(sentence, phrase).strip(), state=None))
            continue
        named = [
            m
            for m in mentions_in(sentence.mentions, phrase.start, phrase.end)
            if m.kind in ("person", "organization", "state") and not _overlaps(m, accused)
        ]
        states: set[str | None] = set()
        for mention in named:
            if mention.state in states:
                continue
            states.add(mention.state)
            speakers.append(describe(sentence, _phrase_of(sentence, mention, phrase), explicit=True))
        if not named and _holds_media(sentence, phrase):
            speakers.append(Speaker(span=phrase, name=_text(sentence, phrase).strip(), state=None))
    return speakers


def in_source_phrase(sentence: SentenceView, mention: Mention) -> bool:
    """ "selon le renseignement américain": a state named as a source is not accused there."""
    return any(p.start <= mention.start and mention.end <= p.end for p in _source_phrases(sentence))


def in_speaker_subject(sentence: SentenceView, mention: Mention) -> bool:
    """The mention sits in the subject of a verb of speech, denial, call or response, next to a
    named person or body ("Berger, on behalf of the German government, condemned ...")."""
    doc = sentence.doc
    if doc is None:
        return False
    offset = sentence.span.start
    for group, cues in sentence.cues.items():
        if group not in _SPEAKER_VERB_GROUPS and group not in RESPONSE_MEASURES:
            continue
        for cue in cues:
            span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
            if span is None or len(span) == 0 or span.root.pos_ not in ("VERB", "AUX"):
                continue
            for child in span.root.children:
                if child.dep_ not in _SUBJECT_DEPS:
                    continue
                subject = _subtree_span(child, offset)
                if not (subject.start <= mention.start and mention.end <= subject.end):
                    continue
                others = mentions_in(sentence.mentions, subject.start, subject.end)
                if any(m.kind in ("person", "organization") and m != mention for m in others):
                    return True
    return False


def _source_phrases(sentence: SentenceView) -> list[Span]:
    offset = sentence.span.start
    phrases = []
    for cue in sentence.cues.get("source", []):
        rest = sentence.text[cue.end - offset :]
        stop = _CLAUSE_END.search(rest)
        length = min(stop.start() if stop else len(rest), 80)
        phrases.append(Span(cue.end, cue.end + length))
    return phrases


def _phrase_of(sentence: SentenceView, mention: Mention, within: Span) -> Span:
    """The noun phrase of ``mention`` inside ``within``: "la police nippone", not just "nippone"."""
    doc = sentence.doc
    if doc is None:
        return Span(mention.start, mention.end)
    offset = sentence.span.start
    span = doc.char_span(mention.start - offset, mention.end - offset, alignment_mode="expand")
    if span is None or len(span) == 0:
        return Span(mention.start, mention.end)
    token = span.root
    # Climb to the noun the mention qualifies, staying inside the source phrase.
    while token.dep_ in ("amod", "compound", "nmod", "poss", "flat", "flat:name") and token.head.i != token.i:
        head = token.head
        if not within.start <= offset + head.idx < within.end:
            break
        token = head
    # The noun with its own modifiers, without the coordinated nouns ("... et le renseignement américain").
    words = [token]
    for child in token.children:
        if child.dep_ not in ("cc", "conj", "punct"):
            words.extend(child.subtree)
    left = max(min(t.idx for t in words), within.start - offset)
    right = min(max(t.idx + len(t.text) for t in words), within.end - offset)
    if right <= left:
        return Span(mention.start, mention.end)
    return Span(offset + left, offset + right)


def describe(sentence: SentenceView, span: Span, explicit: bool = False) -> Speaker:
    """Name, role and state of whoever is named inside ``span``.

    ``explicit``: the span is known to name the speaker (it follows "according
    to" or "a déclaré"); "le renseignement américain", "le ministère allemand"
    speak there, whatever the words around them suggest elsewhere.
    """
    # "groups associated with Russian intelligence": the state there is accused, not speaking.
    inside = [
        m
        for m in mentions_in(sentence.mentions, span.start, span.end)
        if explicit
        or not (
            qualified_as_actor(sentence, m) or (m.kind == "state" and m.form == "demonym" and is_victim(sentence, m))
        )
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


def _reporting(sentence: SentenceView, token: Token) -> bool:
    start = sentence.span.start + token.idx
    # "was behind", "launched": their subject is the accused, not a speaker.
    if any(c.start <= start < c.end for c in sentence.cues.get("accused_subject", [])):
        return False
    return any(c.start <= start < c.end for group in _REPORTING_GROUPS for c in sentence.cues.get(group, []))


def _speaker_from_parse(
    sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory, reporting_only: bool, accused: Span | None
) -> Speaker | None:
    doc = sentence.doc
    if doc is None:
        return None
    offset = sentence.span.start
    char_span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
    if char_span is None or len(char_span) == 0:
        return None
    token = char_span.root
    seen = set()
    # A reporting verb with no subject of its own ("joined the UK in attributing
    # the attack to Russia") takes the subject of the verb that controls it.
    inherit = False
    while token.i not in seen:
        seen.add(token.i)
        reporting = _reporting(sentence, token)
        if reporting_only and reporting and not any(c.dep_ in _SUBJECT_DEPS for c in token.children):
            inherit = True
        if reporting_only and not inherit and not reporting:
            if token.dep_ in ("acl", "relcl") and _is_media(sentence, token.head, offset):
                return Speaker(span=_subtree_span(token.head, offset), name=token.head.text)
            if token.head.i == token.i:
                break
            token = token.head
            continue
        if token.dep_ in ("acl",) and _is_media(sentence, token.head, offset):
            # "media reports claiming that ...": the reports speak.
            return Speaker(span=_subtree_span(token.head, offset), name=token.head.text)
        found = _speaker_among_children(sentence, token, memory, accused, agents=reporting)
        if found is not None:
            return found
        if token.head.i == token.i:
            break
        token = token.head
    return None


def _speaker_among_children(
    sentence: SentenceView, token: Token, memory: SpeakerMemory, accused: Span | None, agents: bool
) -> Speaker | None:
    """The speaker named by the subject of ``token`` (or, for "accused by X", by its agent)."""
    offset = sentence.span.start
    for child in token.children:
        if agents and child.dep_ in _AGENT_DEPS:
            span = _subtree_span(child, offset)
            if _overlaps_span(span, accused):
                continue
            if _is_press(sentence, child, offset):
                return Speaker(span=span, name=_text(sentence, span).strip(), state=None)
            if _informative(sentence, span):
                return describe(sentence, span)
            continue
        if child.dep_ not in _SUBJECT_DEPS:
            continue
        if child.pos_ == "PRON":
            if _is_relative(child) and token.head.i != token.i:
                antecedent = token.head
                span = _subtree_span(antecedent, offset)
                if _overlaps_span(span, accused):
                    continue
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
        if _overlaps_span(_full_span(child, offset), accused):
            # "the SVR was behind the hack": the subject is the accused; the speaker is further up.
            continue
        if _is_press(sentence, child, offset):
            # "les médias américains ont rapporté": the press speaks for no state.
            return Speaker(span=span, name=_text(sentence, span).strip(), state=None)
        if _informative(sentence, span):
            return describe(sentence, span)
        if _is_media(sentence, child, offset):
            # "reports say", "des rapports qui avancent": an unnamed source.
            return Speaker(span=span, name=child.text)
    return None


def _is_speaker_pronoun(sentence: SentenceView, token: Token, offset: int) -> bool:
    start = offset + token.idx
    return any(c.start <= start < c.end for c in sentence.cues.get("speaker_pronoun", []))


def _is_relative(token: Token) -> bool:
    return token.tag_ in _RELATIVE_TAGS or "PronType=Rel" in str(token.morph)


def _is_media(sentence: SentenceView, token: Token, offset: int) -> bool:
    start = offset + token.idx
    return any(c.start <= start < c.end for c in sentence.cues.get("media_source", []))


def _is_press(sentence: SentenceView, token: Token, offset: int) -> bool:
    """The head noun of ``token``'s phrase is a press word ("media", "presse")."""
    head = token
    # "by the media" / "par la presse": look through the preposition to its noun.
    objects = [c for c in head.children if c.dep_ in ("pobj", "obj")]
    if head.pos_ == "ADP" and objects:
        head = objects[0]
    start = offset + head.idx
    return any(c.start <= start < c.end for c in sentence.cues.get("press", []))


def _holds_press(sentence: SentenceView, span: Span) -> bool:
    """The first noun of a source phrase is a press word: "selon la presse américaine"."""
    press = [c for c in sentence.cues.get("press", []) if span.start <= c.start < span.end]
    if not press:
        return False
    named = [m for m in mentions_in(sentence.mentions, span.start, span.end) if m.kind != "state"]
    return not any(m.start < press[0].start for m in named)


def _holds_media(sentence: SentenceView, span: Span) -> bool:
    return any(span.start <= c.start < span.end for c in sentence.cues.get("media_source", []))


def _text(sentence: SentenceView, span: Span) -> str:
    return sentence.text[span.start - sentence.span.start : span.end - sentence.span.start]


def _overlaps(mention: Mention, span: Span | None) -> bool:
    return span is not None and mention.start < span.end and span.start < mention.end


def _overlaps_span(span: Span, other: Span | None) -> bool:
    return other is not None and span.start < other.end and other.start < span.end


def _full_span(token: Token, offset: int) -> Span:
    left, right = token.left_edge, token.right_edge
    return Span(offset + left.idx, offset + right.idx + len(right.text))


def phrase_span(token: Token, offset: int) -> Span:
    """The phrase of ``token`` cut to a dozen tokens around it (not its clauses)."""
    return _subtree_span(token, offset)


def _subtree_span(token: Token, offset: int) -> Span:
    # Limit the subject to its first dozen tokens: a subject with a long relative
    # clause would otherwise swallow the states it is talking about.
    subtree = list(token.subtree)
    head_position = [t.i for t in subtree].index(token.i)
    low = max(0, head_position - 8)
    high = min(len(subtree), head_position + 5)
    first, last = subtree[low], subtree[high - 1]
    return Span(offset + first.idx, offset + last.idx + len(last.text))


def _speaker_from_order(
    sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory, accused: Span | None = None
) -> Speaker | None:
    """Without a parse: the name after a reporting verb that follows the cue; in a verb-first
    language, the subject right after the verb that opens the cue's clause; else the nearest
    name before the cue that is neither accused, nor a victim, nor the author of the accusation
    it rejects ("Der Iran hat den Vorwurf des US-Justizministeriums zurückgewiesen")."""
    accusers = [m for m in sentence.mentions if _accuser(sentence, m)]
    # "rief die USA auf", "敦促英方": whom a speaker calls on is not the speaker (but the subject
    # after a verb-first call is).
    called = [m for m in sentence.mentions if _called_on(sentence, m)]
    candidates = [
        m
        for m in sentence.mentions
        if m.kind in ("person", "organization", "state")
        and not _overlaps(m, accused)
        and m not in accusers
        and m not in called
    ]
    # "..., a déclaré le ministère allemand": right after a reporting verb, "ministère" is
    # the speaker even though it is also a word for victims.
    for speech in sentence.cues.get("speech", []):
        if speech.start <= cue.start:
            continue
        after = [
            m
            for m in candidates
            if m.start >= speech.end and m.start - speech.end < 60 and not qualified_as_actor(sentence, m)
        ]
        if after and _between_clear(sentence, speech.end, after[0].start):
            return describe(sentence, Span(after[0].start, after[0].end), explicit=True)
    if sentence.order.verb_first:
        found = _verb_first_speaker(sentence, cue, memory, accused)
        if found is not None:
            return found
    named = [m for m in candidates if not is_actor(sentence, m) and not is_victim(sentence, m)]
    before = [m for m in named if m.end <= cue.start]
    if before:
        # Prefer a person or body over a bare state term close to the cue.
        people = [m for m in before if m.kind != "state"]
        chosen = people[-1] if people else before[-1]
        return describe(sentence, Span(chosen.start, chosen.end))
    if memory.last is not None and (_continues_quote(sentence) or _refers_back(sentence, cue)):
        return memory.last
    return None


def _verb_first_speaker(
    sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory, accused: Span | None
) -> Speaker | None:
    """The subject after the nearest verb of saying or accusing (at or before the cue) that
    opens its clause; a sentence-opening verb with no name after it continues the last speaker
    ("وأضاف أن ...": he added that ...)."""
    verbs = sorted((v for v in speaking_verbs(sentence) if v.start <= cue.start), key=lambda v: -v.start)
    for verb in verbs:
        subject = verb_first_subject(sentence, verb)
        if subject is not None and not _overlaps(subject, accused) and not is_victim(sentence, subject):
            return describe(sentence, Span(subject.start, subject.end), explicit=True)
    if verbs and memory.last is not None and verbs[-1].start - sentence.span.start <= 2:
        opening = verbs[-1]
        if not any(m.end <= opening.start for m in sentence.mentions) and verb_first_subject(sentence, opening) is None:
            return memory.last
    return None


def _accuser(sentence: SentenceView, mention: Mention) -> bool:
    """ "den Vorwurf des US-Justizministeriums", "US-Vorwürfe": whoever makes the accusation that
    the sentence rejects (after the noun, or touching it before; "China hat die Vorwürfe" is a
    subject and its verb)."""
    offset = sentence.span.start
    for noun in sentence.cues.get("accusation_noun", []):
        if mention.start >= noun.end and modifies(sentence, mention, noun):
            return True
        if mention.end <= noun.start and not sentence.text[mention.end - offset : noun.start - offset].strip(" -"):
            return True
    return False


def _called_on(sentence: SentenceView, mention: Mention) -> bool:
    offset = sentence.span.start
    for call in sentence.cues.get("call", []):
        if call.end <= mention.start and verb_first_subject(sentence, call) != mention:
            gap = sentence.text[call.end - offset : mention.start - offset]
            if len(gap) <= 12 and len(re.findall(r"\w+", gap)) <= 1 and not re.search(r"[,;:.!?«»\"“”()]", gap):
                return True
    return False


def _refers_back(sentence: SentenceView, cue: CueMatch) -> bool:
    """A pronoun or a bare title before the cue ("Er beklagte ...", "Der Sprecher beschuldigte ...")
    and no name: the last named speaker goes on."""
    return any(c.end <= cue.start for group in ("speaker_pronoun", "role_noun") for c in sentence.cues.get(group, []))


def _between_clear(sentence: SentenceView, start: int, end: int) -> bool:
    """No sentence-internal break between two offsets (a name after "said," still counts)."""
    offset = sentence.span.start
    return not re.search(r"[;.!?«»\"“”()]", sentence.text[start - offset : end - offset])


def _continues_quote(sentence: SentenceView) -> bool:
    return sentence.text[:1] in "\"“«„'‘「『"
