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

import re
from dataclasses import dataclass, field

from cyberops.nlp.claim_cues import RESPONSE_MEASURES, ClaimCues, CueMatch
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.sides import is_actor, is_victim
from cyberops.nlp.speakers import Speaker, SpeakerMemory, describe, find_speaker
from cyberops.record import Claim, Span
from cyberops.record import Speaker as RecordSpeaker


@dataclass
class ClaimCandidate:
    kind: str
    speaker: Speaker | None
    speaker_state: str | None
    subject_state: str | None
    evidence: Span
    cues: list[str] = field(default_factory=list)
    subject_actor: str | None = None
    measure: str | None = None
    hedged: bool = False


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
            found.extend(self._attributions(sentence, memory, denials))
            found.extend(self._responses(sentence, memory))
            found.extend(self._admissions(sentence))
            found.extend(self._cooperation(sentence, memory))
            found.extend(self._counter_accusations(sentence, memory, denial_states))
            self._remember_speaker(sentence, memory)
        return found

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
            return results
        actor = self._named_actor(sentence)
        for mention in self._accused_mentions(sentence, exclude=None):
            anchor = self._anchor(sentence, mention)
            speaker = find_speaker(sentence, anchor, memory, reporting_only=True)
            if speaker is not None and speaker.span is not None and _inside(mention, speaker.span):
                speaker = None
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
                )
            )
        if not results and actor and sentence.has("attribution"):
            cue = sentence.first("attribution")
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
            span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")  # type: ignore[attr-defined]
            token = span.root if span is not None and len(span) else None
            if token is not None and token.pos_ == "NOUN":
                # "U.S. sanctions", "EU sanctions against Russia": a state right before the noun takes it.
                taker = self._state_before(sentence, cue)
                targets = [m.state for m in self._accused_mentions(sentence, exclude=taker.span if taker else None)]
                return taker, targets
            if token is not None:
                passive = [c for c in token.children if c.dep_ in ("nsubjpass", "nsubj:pass")]
                agents = [c for c in token.children if c.dep_ in ("agent", "obl:agent")]
                if passive:
                    # "X was sanctioned by the EU": X is the target, the agent the taker.
                    target_span = _token_span(passive[0], offset)
                    taker = describe(sentence, _token_span(agents[0], offset)) if agents else None
                    targets = [m.state for m in sentence.states() if _inside(m, target_span) and m.kind != "person"]
                    if taker is None or taker.state is None:
                        taker = find_speaker(sentence, cue, memory, reporting_only=True)
                    return taker, targets
                taker = find_speaker(sentence, cue, memory)
                exclude = taker.span if taker else None
                targets = [m.state for m in self._accused_mentions(sentence, exclude=exclude)]
                objects = [c for c in token.children if c.dep_ in ("dobj", "obj", "obl", "prep")]
                for obj in objects:
                    obj_span = _token_span(obj, offset)
                    targets += [
                        m.state
                        for m in sentence.states()
                        if _inside(m, obj_span) and m.kind != "person" and not is_victim(sentence, m)
                    ]
                return taker, targets
        taker = self._state_before(sentence, cue) or find_speaker(sentence, cue, memory)
        targets = [m.state for m in self._accused_mentions(sentence, exclude=taker.span if taker else None)]
        return taker, targets

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
        speaker = find_speaker(sentence, anchor, memory) if anchor else None
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
            accused.setdefault(mention.state, mention)
        return list(accused.values())

    def _accused(self, sentence: SentenceView, exclude: Span | None) -> list[str]:
        return [m.state for m in self._accused_mentions(sentence, exclude) if m.state]

    def _accuser_in_denial(self, sentence: SentenceView) -> Mention | None:
        # "accusations by Britain", "claims from Washington"
        for noun in sentence.cues.get("accusation_noun", []):
            tail = sentence.text[noun.end - sentence.span.start : noun.end - sentence.span.start + 12]
            if not re.match(r"\s+(?:by|from|of|de|par)\b", tail):
                continue
            after = [m for m in sentence.states() if m.start > noun.end and m.start - noun.end <= 20]
            if after:
                return after[0]
        return None

    def _state_before(self, sentence: SentenceView, cue: CueMatch) -> Speaker | None:
        # "U.S. sanctions", "EU sanctions": the state right before a measure noun takes it.
        for mention in sentence.states():
            if mention.end <= cue.start and cue.start - mention.end <= 3 and mention.kind != "person":
                return describe(sentence, Span(mention.start, mention.end))
        return None

    def _named_actor(self, sentence: SentenceView) -> str | None:
        actors = sentence.of_kind("threat_actor")
        return actors[0].text if actors else None

    def _names_cyber_entity(self, sentence: SentenceView) -> bool:
        return bool(sentence.of_kind("threat_actor", "malware", "operation"))

    def _mentions_cyber(self, sentence: SentenceView) -> bool:
        return "cyber" in sentence.text.lower() or sentence.has("misconduct") or self._names_cyber_entity(sentence)


def _token_span(token: object, offset: int) -> Span:
    left, right = token.left_edge, token.right_edge  # type: ignore[attr-defined]
    return Span(offset + left.idx, offset + right.idx + len(right.text))


def _inside(mention: Mention, span: Span | None) -> bool:
    return span is not None and mention.start >= span.start and mention.end <= span.end


def _merge_key(candidate: ClaimCandidate) -> tuple:
    """Claims with the same kind and states are one claim, except that attributions and
    responses by two differently named people or bodies of one state stay two claims
    ("top U.S. officials blamed ...", "the Justice Department charged ...")."""
    speaker = candidate.speaker
    named = speaker.entity.text if speaker and speaker.entity and speaker.entity.kind != "state" else None
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
                kind=candidate.kind,  # type: ignore[arg-type]
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
    return claims
