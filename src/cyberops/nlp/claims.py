"""Claims: who accuses, denies, answers back, responds, admits or calls for talks.

Claims are found sentence by sentence from cue words (``claim_cues``), the
mentions of states and entities in the sentence (``mentions``), and the
speaker (``speakers``). Each rule below prefers silence to a guess: a claim
is emitted only when its speaker's or subject's state is established by the
sentence itself (or, for a pronoun, by the sentence that named the speaker).
The article-level merge keeps one claim per (kind, speaker state, subject
state), with every sentence that made it as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cyberops.nlp.claim_cues import RESPONSE_MEASURES, ClaimCues, CueMatch
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.sides import is_actor, is_target, is_victim, modifies, qualified_by_attribution
from cyberops.nlp.speakers import (
    Speaker,
    SpeakerMemory,
    describe,
    find_speaker,
    find_speakers,
    in_source_phrase,
    in_speaker_subject,
    phrase_span,
)
from cyberops.record import Claim, ClaimKind, Span
from cyberops.record import Speaker as RecordSpeaker

if TYPE_CHECKING:
    from spacy.tokens import Token


@dataclass
class ClaimCandidate:
    kind: ClaimKind
    speaker: Speaker | None
    speaker_state: str | None
    subject_state: str | None
    evidence: Span
    cues: list[str] = field(default_factory=list)
    subject_actor: str | None = None
    measure: str | None = None
    hedged: bool = False
    # False when only the words around a state made it accused ("North Korean group"), no accusing cue.
    cued: bool = True


class ClaimFinder:
    """Finds claim candidates in the sentences of one article."""

    def __init__(self, cues: ClaimCues) -> None:
        self.cues = cues

    def find(self, sentences: list[SentenceView]) -> list[ClaimCandidate]:
        memory = SpeakerMemory()
        found: list[ClaimCandidate] = []
        denial_states: set[str] = set()
        for sentence in sentences:
            if not sentence.cues:
                continue
            denials = self._denials(sentence, memory)
            denial_states.update(c.speaker_state for c in denials if c.speaker_state)
            found.extend(denials)
            attributions = self._attributions(sentence, memory, denials)
            responses = self._responses(sentence, memory)
            # "North Korean group X was sanctioned by the EU": the measure says who is held
            # responsible; with no accusing word and no speaker, there is no separate attribution.
            targets = {r.subject_state for r in responses if r.kind == "response"}
            found.extend(
                a
                for a in attributions
                if not (a.subject_state in targets and a.speaker_state is None and not a.cued)
            )
            found.extend(responses)
            found.extend(self._admissions(sentence))
            found.extend(self._cooperation(sentence, memory))
            found.extend(self._counter_accusations(sentence, memory, denial_states))
            self._remember_speaker(sentence, memory)
        return _answering_back(found)

    # -- one rule per claim kind -------------------------------------------------

    def _denials(self, sentence: SentenceView, memory: SpeakerMemory) -> list[ClaimCandidate]:
        cue = sentence.first("denial")
        if cue is None and sentence.has("denial_weak") and sentence.has("accusation_noun"):
            cue = sentence.first("denial_weak")
        if cue is None:
            return []
        speaker = find_speaker(sentence, cue, memory)
        if speaker is None or speaker.state is None:
            return []
        accused = {
            m.state
            for m in sentence.states()
            if m.kind == "state"
            and not is_victim(sentence, m)
            and any(modifies(sentence, m, noun) for noun in sentence.cues.get("actor_noun", []))
        }
        if accused and speaker.state not in accused:
            # "Iran denies US cyberattacks had any effect": the sentence blames another
            # state; disputing what it did is not denying one's own part.
            return []
        # A denial rejects responsibility of the speaker's own state.
        return [ClaimCandidate("denial", speaker, speaker.state, speaker.state, sentence.span, cues=[cue.text])]

    def _attributions(
        self, sentence: SentenceView, memory: SpeakerMemory, denials: list[ClaimCandidate]
    ) -> list[ClaimCandidate]:
        if not (sentence.has("misconduct") or self._names_cyber_entity(sentence)):
            return []
        hedged = sentence.has("hedge")
        results: list[ClaimCandidate] = []
        # "denied claims by Britain that Russian hackers ...": the accuser is named
        # inside the denial; the accused is the denier's state.
        for denial in denials:
            accuser = self._accuser_in_denial(sentence)
            if accuser is not None and accuser.state != denial.speaker_state:
                results.append(
                    ClaimCandidate(
                        "attribution",
                        describe(sentence, Span(accuser.start, accuser.end)),
                        accuser.state,
                        denial.speaker_state,
                        sentence.span,
                        cues=["accusation by"],
                        hedged=hedged,
                    )
                )
        if denials:
            # "Guo accused Washington of making false accusations": the denier answers back
            # (``_answering_back`` turns these into counter-accusations).
            deniers = {d.speaker_state for d in denials}
            return results + [
                c
                for c in self._accused_attributions(sentence, memory, hedged)
                if c.speaker_state in deniers and c.subject_state and c.subject_state not in deniers
            ]
        return results + self._accused_attributions(sentence, memory, hedged)

    def _accused_attributions(
        self, sentence: SentenceView, memory: SpeakerMemory, hedged: bool
    ) -> list[ClaimCandidate]:
        results: list[ClaimCandidate] = []
        actor = self._named_actor(sentence)
        for mention in self._accused_mentions(sentence, exclude=None):
            anchor = self._anchor(sentence, mention)
            accused = Span(mention.start, mention.end)
            found = find_speakers(sentence, anchor, memory, reporting_only=True, accused=accused)
            speakers: list[Speaker | None] = [s for s in found if s.span is None or not _inside(mention, s.span)]
            for speaker in speakers or [None]:
                speaker_state = speaker.state if speaker else None
                claim_hedged = hedged
                if speaker is None or (speaker.entity is None and speaker.state is None):
                    # Reports, media and unnamed sources carry an accusation as alleged.
                    claim_hedged = True
                if speaker_state == mention.state:
                    # Reacting to reports about one's own state ("Hua, reacting to
                    # reports that Chinese hackers..."): the reports accuse, not the speaker.
                    speaker, speaker_state, claim_hedged = None, None, True
                results.append(
                    ClaimCandidate(
                        "attribution",
                        speaker,
                        speaker_state,
                        mention.state,
                        sentence.span,
                        cues=[anchor.text],
                        subject_actor=actor,
                        hedged=claim_hedged,
                        cued=anchor.group != "mention",
                    )
                )
        cue = sentence.first("attribution")
        if not results and actor and cue is not None and self._accused_actor(sentence):
            speaker = find_speaker(sentence, cue, memory, reporting_only=True)
            results.append(
                ClaimCandidate(
                    "attribution",
                    speaker,
                    speaker.state if speaker else None,
                    None,
                    sentence.span,
                    cues=[cue.text],
                    subject_actor=actor,
                    hedged=hedged,
                )
            )
        return results

    def _anchor(self, sentence: SentenceView, mention: Mention) -> CueMatch:
        """The cue that makes ``mention`` accused: the nearest attribution cue, else the mention itself."""
        cues = sentence.cues.get("attribution", [])
        if cues:
            return min(cues, key=lambda c: abs(c.start - mention.start))
        return CueMatch("mention", mention.start, mention.end, mention.text)

    def _responses(self, sentence: SentenceView, memory: SpeakerMemory) -> list[ClaimCandidate]:
        for group, measure in RESPONSE_MEASURES.items():
            cue = sentence.first(group)
            if cue is None:
                continue
            taker, targets = self._response_parties(sentence, cue, memory)
            if taker is None or taker.state is None:
                continue
            targets = [t for t in targets if t != taker.state]
            results = [
                ClaimCandidate("response", taker, taker.state, state, sentence.span, cues=[cue.text], measure=measure)
                for state in dict.fromkeys(targets)
            ]
            # "charged seven hackers linked to the Iranian government": whoever takes the
            # measure also says who is behind the operation.
            linked = {m.state for m in sentence.states() if _qualified_as_linked(sentence, m)}
            results += [
                ClaimCandidate(
                    "attribution", taker, taker.state, state, sentence.span, cues=[cue.text], hedged=True
                )
                for state in dict.fromkeys(t for t in targets if t in linked)
            ]
            if results:
                return results
        return []

    def _response_parties(
        self, sentence: SentenceView, cue: CueMatch, memory: SpeakerMemory
    ) -> tuple[Speaker | None, list[str]]:
        """Who takes the measure and which states it targets."""
        doc = sentence.doc
        if doc is not None:
            offset = sentence.span.start
            span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
            token = span.root if span is not None and len(span) else None
            if token is not None and token.pos_ == "NOUN":
                # "U.S. sanctions", "EU sanctions against Russia": a state right before the noun takes it.
                taker = self._state_before(sentence, cue)
                targets = self._accused(sentence, exclude=taker.span if taker else None)
                return taker, targets
            if token is not None:
                passive = [c for c in token.children if c.dep_ in ("nsubjpass", "nsubj:pass")]
                agents = [c for c in token.children if c.dep_ in ("agent", "obl:agent")]
                # "Russian ambassador summoned to the Foreign Ministry": a participle on a
                # noun is passive; that noun is the target.
                reduced = token.dep_ in ("acl", "amod") and "VerbForm=Part" in str(token.morph)
                if passive or agents or reduced:
                    # "X was sanctioned by the EU", "groups sanctioned by the EU": X (or the
                    # groups) is the target, the agent the taker.
                    if passive:
                        target_span = _token_span(passive[0], offset)
                    elif token.dep_ in ("acl", "amod") and token.head.i != token.i:
                        # The noun phrase up to the participle, without what the participle governs.
                        target_span = Span(offset + token.head.left_edge.idx, offset + token.idx)
                    else:
                        target_span = None
                    taker = describe(sentence, phrase_span(agents[0], offset)) if agents else None
                    targets = [
                        m.state
                        for m in sentence.states()
                        if m.state and _inside(m, target_span) and m.kind != "person"
                    ]
                    if taker is not None and taker.span is not None:
                        targets += self._accused(sentence, exclude=taker.span)
                    if taker is None or taker.state is None:
                        taker = find_speaker(sentence, cue, memory, reporting_only=True)
                    if taker is None or taker.state is None:
                        # "was summoned to the German Foreign Ministry": the body it is summoned to.
                        taker = self._body_in_objects(sentence, token, exclude=target_span) or taker
                    return taker, targets
                taker = find_speaker(sentence, cue, memory)
                exclude = taker.span if taker else None
                targets = self._accused(sentence, exclude=exclude)
                objects = [c for c in token.children if c.dep_ in ("dobj", "obj", "obl", "prep")]
                for obj in objects:
                    obj_span = _token_span(obj, offset)
                    targets += [
                        m.state
                        for m in sentence.states()
                        if m.state and _inside(m, obj_span) and m.kind != "person" and not is_victim(sentence, m)
                    ]
                return taker, targets
        taker = self._state_before(sentence, cue) or find_speaker(sentence, cue, memory)
        exclude = taker.span if taker else None
        targets = self._accused(sentence, exclude=exclude)
        # Without a parse, "gegen zwei Russen" names the target even where "gegen" also marks victims.
        targets += [
            m.state
            for m in sentence.states()
            if m.state and m.kind != "person" and not _inside(m, exclude) and is_target(sentence, m)
        ]
        return taker, targets

    def _body_in_objects(self, sentence: SentenceView, token: Token, exclude: Span | None) -> Speaker | None:
        offset = sentence.span.start
        for child in token.children:
            if child.dep_ not in ("prep", "obl"):
                continue
            span = _token_span(child, offset)
            for mention in sentence.mentions:
                if (
                    mention.kind == "organization"
                    and mention.state
                    and _inside(mention, span)
                    and not _inside(mention, exclude)
                ):
                    return describe(sentence, Span(mention.start, mention.end))
        return None

    def _admissions(self, sentence: SentenceView) -> list[ClaimCandidate]:
        """A group claims an operation: a named actor, an unaffiliated organization, or "a hacker group"."""
        cue = sentence.first("admission")
        if cue is None:
            return []
        before = [m for m in sentence.mentions if m.end <= cue.start]
        actors = [m for m in before if m.kind == "threat_actor"]
        orgs = [m for m in before if m.kind == "organization" and not m.state]
        groups = [c for c in sentence.cues.get("actor_noun", []) if c.end <= cue.start]
        if actors or orgs:
            claimant = (actors or orgs)[-1].text
        elif groups:
            claimant = groups[-1].text
        else:
            return []
        speaker = Speaker(span=None, name=claimant)
        actor = actors[-1].text if actors else None
        return [ClaimCandidate("admission", speaker, None, None, sentence.span, cues=[cue.text], subject_actor=actor)]

    def _cooperation(self, sentence: SentenceView, memory: SpeakerMemory) -> list[ClaimCandidate]:
        cue = sentence.first("cooperation")
        if cue is None or not (sentence.has("call") or sentence.has("speech")):
            return []
        if not self._mentions_cyber(sentence):
            return []
        speaker = find_speaker(sentence, sentence.first("call") or cue, memory)
        if speaker is None or speaker.state is None:
            return []
        partners = [
            m.state
            for m in sentence.states()
            if m.state != speaker.state
            and m.kind == "state"
            and m.form != "demonym"
            and not _inside(m, speaker.span)
            and not is_victim(sentence, m)
        ]
        partner = partners[0] if len(set(partners)) == 1 else None
        return [ClaimCandidate("cooperation", speaker, speaker.state, partner, sentence.span, cues=[cue.text])]

    def _counter_accusations(
        self, sentence: SentenceView, memory: SpeakerMemory, denial_states: set[str]
    ) -> list[ClaimCandidate]:
        # A denial sentence names the accuser; answering back takes a sentence of its own.
        if not denial_states or not sentence.has("misconduct") or self._has_denial(sentence):
            return []
        unnamed = sentence.first("unnamed_states")
        anchor = unnamed or sentence.first("misconduct")
        if anchor is None:
            return []
        speaker = find_speaker(sentence, anchor, memory)
        if speaker is None or speaker.state not in denial_states:
            return []
        targets = [s for s in self._accused(sentence, exclude=speaker.span) if s != speaker.state]
        cyber_entity = self._names_cyber_entity(sentence)
        if targets:
            return [
                ClaimCandidate("counter_accusation", speaker, speaker.state, t, sentence.span, cues=[anchor.text])
                for t in dict.fromkeys(targets)
            ]
        if unnamed is not None and (cyber_entity or sentence.has("misconduct")):
            return [
                ClaimCandidate("counter_accusation", speaker, speaker.state, None, sentence.span, cues=[unnamed.text])
            ]
        return []

    # -- helpers ------------------------------------------------------------------

    def _has_denial(self, sentence: SentenceView) -> bool:
        return sentence.has("denial") or (sentence.has("denial_weak") and sentence.has("accusation_noun"))

    def _remember_speaker(self, sentence: SentenceView, memory: SpeakerMemory) -> None:
        speech = sentence.first("speech")
        if speech is None:
            return
        speaker = find_speaker(sentence, speech, memory)
        if (
            speaker is not None
            and speaker.entity is not None
            and speaker.entity.kind == "person"
            or speaker is not None
            and speaker.state
            and memory.last is None
        ):
            memory.remember(speaker)

    def _accused_mentions(self, sentence: SentenceView, exclude: Span | None) -> list[Mention]:
        """Mentions the sentence puts on the side of the perpetrators (one per state)."""
        accused: dict[str, Mention] = {}
        for mention in sentence.mentions:
            if not mention.state or mention.kind in ("person", "malware", "operation") or _inside(mention, exclude):
                continue
            if is_victim(sentence, mention) or not is_actor(sentence, mention):
                continue
            if in_source_phrase(sentence, mention) or in_speaker_subject(sentence, mention):
                # "selon le renseignement américain", "Berger on behalf of the German government
                # condemned": whoever speaks is not accused by the same sentence.
                continue
            accused.setdefault(mention.state, mention)
        return list(accused.values())

    def _accused(self, sentence: SentenceView, exclude: Span | None) -> list[str]:
        return [m.state for m in self._accused_mentions(sentence, exclude) if m.state]

    def _accuser_in_denial(self, sentence: SentenceView) -> Mention | None:
        """ "accusations by Britain", "White House allegations", "les accusations américaines"."""
        for noun in sentence.cues.get("accusation_noun", []):
            for mention in sentence.states():
                if mention.kind == "person" or is_actor(sentence, mention) or is_victim(sentence, mention):
                    continue
                if modifies(sentence, mention, noun):
                    return mention
        return None

    def _state_before(self, sentence: SentenceView, cue: CueMatch) -> Speaker | None:
        # "U.S. sanctions", "EU sanctions": the state right before a measure noun takes it.
        for mention in sentence.states():
            if (
                mention.end <= cue.start
                and cue.start - mention.end <= 3
                and mention.kind != "person"
                and not is_victim(sentence, mention)
            ):
                return describe(sentence, Span(mention.start, mention.end))
        return None

    def _accused_actor(self, sentence: SentenceView) -> bool:
        """A named group stands on the perpetrators' side ("attacks attributed to APT28")."""
        return any(is_actor(sentence, m) for m in sentence.of_kind("threat_actor"))

    def _named_actor(self, sentence: SentenceView) -> str | None:
        actors = sentence.of_kind("threat_actor")
        return actors[0].text if actors else None

    def _names_cyber_entity(self, sentence: SentenceView) -> bool:
        return bool(sentence.of_kind("threat_actor", "malware", "operation"))

    def _mentions_cyber(self, sentence: SentenceView) -> bool:
        return "cyber" in sentence.text.lower() or sentence.has("misconduct") or self._names_cyber_entity(sentence)


def _qualified_as_linked(sentence: SentenceView, mention: Mention) -> bool:
    """ "hackers linked to the Iranian government": an attribution cue that qualifies a noun,
    not an accusing verb with its own subject ("the CIA attributed the attack to the GRU")."""
    if not qualified_by_attribution(sentence, mention):
        return False
    doc = sentence.doc
    if doc is None:
        return True
    offset = sentence.span.start
    for cue in sentence.cues.get("attribution", []):
        if not (cue.end <= mention.start and mention.start - cue.end <= 32):
            continue
        span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        root = span.root
        if "VerbForm=Fin" in str(root.morph) or any(c.dep_ in ("nsubj", "nsubjpass") for c in root.children):
            return False
    return True


def _answering_back(candidates: list[ClaimCandidate]) -> list[ClaimCandidate]:
    """An accused state that denies and accuses another in return makes a counter-accusation,
    not an attribution ("Guo accused Washington of ... cyber espionage")."""
    deniers = {c.speaker_state for c in candidates if c.kind == "denial" and c.speaker_state}
    for candidate in candidates:
        if (
            candidate.kind == "attribution"
            and candidate.speaker_state in deniers
            and candidate.subject_state
            and candidate.subject_state != candidate.speaker_state
        ):
            candidate.kind = "counter_accusation"
    return candidates


def _token_span(token: Token, offset: int) -> Span:
    left, right = token.left_edge, token.right_edge
    return Span(offset + left.idx, offset + right.idx + len(right.text))


def _inside(mention: Mention, span: Span | None) -> bool:
    return span is not None and mention.start >= span.start and mention.end <= span.end


def _merge_key(candidate: ClaimCandidate) -> tuple:
    """Claims with the same kind and states are one claim, except that attributions and
    responses by two differently named people or bodies of one state stay two claims
    ("top U.S. officials blamed ...", "the Justice Department charged ...")."""
    speaker = candidate.speaker
    # One KB entry is one speaker, whichever of its names the sentence uses ("СБУ", "Служба безпеки України").
    entity = speaker.entity if speaker else None
    named = (entity.entry_id or entity.text) if entity and entity.kind != "state" else None
    if candidate.kind not in ("attribution", "response") or candidate.speaker_state is None:
        named = None if candidate.speaker_state else (speaker.name if speaker else None)
    return (candidate.kind, candidate.speaker_state, candidate.subject_state, named)


def merge_claims(candidates: list[ClaimCandidate]) -> list[Claim]:
    """One claim per (kind, speaker state, subject state); evidence accumulates.

    Two attributions or responses stay apart only when both name their speaker
    and the names differ; an unnamed or bare-state speaker joins the first one.
    """
    merged: dict[tuple, list[tuple[str | None, Claim]]] = {}
    claims: list[Claim] = []
    for candidate in candidates:
        *base, named = _merge_key(candidate)
        group = merged.setdefault(tuple(base), [])
        claim = next((c for n, c in group if n == named), None)
        if claim is None and group and (named is None or any(n is None for n, _ in group)):
            claim = group[0][1]
        if claim is None:
            speaker = candidate.speaker
            claim = Claim(
                id=f"c{len(claims) + 1}",
                kind=candidate.kind,
                speaker=RecordSpeaker(
                    name=speaker.name if speaker else None,
                    role=speaker.role if speaker else None,
                ),
                speaker_state=candidate.speaker_state,
                subject_state=candidate.subject_state,
                subject_actor=candidate.subject_actor,
                measure=candidate.measure,
                hedged=candidate.hedged,
            )
            group.append((named, claim))
            claims.append(claim)
        else:
            # A named person is a better speaker than "Russia" or a pronoun.
            if candidate.speaker and candidate.speaker.role and not claim.speaker.role:
                claim.speaker = RecordSpeaker(name=candidate.speaker.name, role=candidate.speaker.role)
            claim.subject_actor = claim.subject_actor or candidate.subject_actor
            claim.hedged = claim.hedged and candidate.hedged
        if candidate.evidence not in claim.evidence:
            claim.evidence.append(candidate.evidence)
        for cue in candidate.cues:
            if cue not in claim.cues:
                claim.cues.append(cue)
    return _fold_unsourced(claims)


def _fold_unsourced(claims: list[Claim]) -> list[Claim]:
    """An attribution of a state with no speaker state joins one of the same state that has one.

    A headline or summary restates without a source what a named party says
    further down ("Russia behind hack" … "U.S. officials said Russia ..."); RECORD.md
    counts a claim repeated in headline, lead and quote once.
    """
    sourced: dict[str, Claim] = {}
    for claim in claims:
        if claim.kind == "attribution" and claim.subject_state and claim.speaker_state:
            sourced.setdefault(claim.subject_state, claim)
    kept = []
    for claim in claims:
        target = None
        if claim.kind == "attribution" and not claim.speaker_state and claim.subject_state:
            target = sourced.get(claim.subject_state)
        if target is None:
            kept.append(claim)
            continue
        target.evidence.extend(span for span in claim.evidence if span not in target.evidence)
        target.cues.extend(cue for cue in claim.cues if cue not in target.cues)
        target.subject_actor = target.subject_actor or claim.subject_actor
    for number, claim in enumerate(kept, start=1):
        claim.id = f"c{number}"
    return kept
