"""Which side of an operation a state mention stands on: perpetrator or victim.

"Russian hackers", "pirates informatiques russes", "hackers from Russia",
"linked to China" and "the SVR was behind the hack" put a state on the
perpetrators' side; "attacks on US institutions", "a Norwegian software
company" put it on the victims' side. The tests look at the cue words
(``actor_noun``, ``attribution``, ``victim_marker``, ``victim_noun``) right
next to the mention, in the word order of the language (its claims.json
``options``), and, when the sentence was parsed, at which clause the mention
is the subject of.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cyberops.nlp.claim_cues import RESPONSE_MEASURES, CueMatch
from cyberops.nlp.mentions import Mention, SentenceView

if TYPE_CHECKING:
    from spacy.tokens import Token

# How far (in characters) a cue word may stand from a state term to qualify it.
NEAR = 32
_WORD = re.compile(r"[\w']+")
_CLAUSE_BREAK = ',;:.«»"“”()'
_SUBJECT_DEPS = ("nsubj", "nsubjpass", "nsubj:pass")
_PASSIVE_SUBJECT_DEPS = ("nsubjpass", "nsubj:pass")
# Parts of speech that cannot stand between a state adjective and the noun it qualifies.
_PHRASE_BREAKERS = frozenset({"ADP", "PRON", "SCONJ", "DET"})
# Without a parse, a cue of these groups between a state and a noun is a verb: it ends the
# noun phrase ("China dementiert Spionagevorwürfe" is not "Chinese accusations").
_VERB_CUE_GROUPS = ("denial", "denial_weak", "speech", "call", "admission")
# Cue groups that are verbs whose subject speaks (or takes a measure): in a verb-first
# language, the name right after them is that speaker.
SPEAKING_VERB_GROUPS = ("speech", "attribution", "denial", "denial_weak", "call")
# Where a clause opens (the Arabic comma and semicolon included).
_CLAUSE_OPENERS = ',;:.!?«»"“”()،؛'
_STRONG_BREAK = ';:.!?«»"“”()؛'
# How far the objects of a verb-first accusation may stand after its subject.
_OBJECT_REACH = 80


def _between(sentence: SentenceView, left_end: int, right_start: int) -> str | None:
    offset = sentence.span.start
    between = sentence.text[left_end - offset : right_start - offset]
    if len(between) > NEAR or any(p in between for p in _CLAUSE_BREAK):
        return None
    return between


def modifies(sentence: SentenceView, mention: Mention, cue: CueMatch, place_closes: bool = False) -> bool:
    """True when the state ``mention`` qualifies the noun ``cue`` in the language's word order.

    ``place_closes``: the linking word may also end the gap, as a place after a
    second noun does ("research centres in Britain"). For victims only: for
    actors it cost claims on the dev corpus, where a state after a second noun
    is often somebody else's.
    """
    if cue.start >= mention.end:
        # state … noun: "Russian (state-sponsored) hackers"
        between = _between(sentence, mention.end, cue.start)
        # Where adjectives follow the noun, "Copenhague accuse les services" is a
        # subject and its verb, not a state qualifying a noun.
        limit = 0 if sentence.order.adjectives_follow_noun else 2
        if between is None or len(_WORD.findall(between)) > limit:
            return False
        if _verb_cue_between(sentence, mention.end, cue.start):
            return False
        if sentence.doc is None:
            # Without a parse, the language's prepositions stand for it: "Вашингтон во взломе
            # компьютеров" (Washington in the hacking of computers) is no "Washington computers".
            return not any(w.casefold() in sentence.order.prepositions for w in _WORD.findall(between))
        # "the U.S. charged seven hackers", "the EU for involvement": a verb or a
        # preposition between them ends the noun phrase.
        return not _has_finite_verb(sentence, mention.end, cue.start, breaking=_PHRASE_BREAKERS)
    if mention.start >= cue.end:
        # noun … state: "pirates (informatiques) russes", "hackers from Russia"
        between = _between(sentence, cue.end, mention.start)
        if between is None:
            return False
        words = [w.casefold() for w in _WORD.findall(between)]
        if _has_finite_verb(sentence, cue.end, mention.start) or _verb_cue_between(sentence, cue.end, mention.start):
            return False
        if sentence.order.adjectives_follow_noun and len(words) <= 2:
            return True
        linking = sentence.order.linking_words
        return 1 <= len(words) <= 2 and (words[0] in linking or (place_closes and words[-1] in linking))
    return False


def _verb_cue_between(sentence: SentenceView, start: int, end: int) -> bool:
    """Without a parse: a speech, denial or call word between two offsets (it is a verb)."""
    if sentence.doc is not None:
        return False
    return any(start <= c.start and c.end <= end for g in _VERB_CUE_GROUPS for c in sentence.cues.get(g, []))


def _responses(sentence: SentenceView) -> list[CueMatch]:
    return [c for g in RESPONSE_MEASURES for c in sentence.cues.get(g, [])]


def verb_first_subject(sentence: SentenceView, verb: CueMatch) -> Mention | None:
    """In a verb-first language without a parse, the subject of a verb that opens its clause:
    the first name after it ("اتهم وزير الدفاع الإيراني إسرائيل" → the Iranian minister)."""
    if not sentence.order.verb_first or sentence.doc is not None:
        return None
    offset = sentence.span.start
    head = sentence.text[: verb.start - offset]
    clause_start = offset + max(head.rfind(c) for c in _CLAUSE_OPENERS) + 1
    opening = sentence.text[clause_start - offset : verb.start - offset]
    # One word may come first ("ثم", a conjunction); a name before the verb makes it subject-first.
    if len(_WORD.findall(opening)) > 1 or any(clause_start <= m.start < verb.start for m in sentence.mentions):
        return None
    after = [m for m in sentence.mentions if m.start >= verb.end and m.kind in ("person", "organization", "state")]
    if not after:
        return None
    gap = sentence.text[verb.end - offset : after[0].start - offset]
    # The subject comes right after the verb: a few words of its phrase ("وكالات استخبارات أميركية").
    if any(c in gap for c in _CLAUSE_OPENERS) or len(_WORD.findall(gap)) > 4:
        return None
    return after[0]


def speaking_verbs(sentence: SentenceView) -> list[CueMatch]:
    """Cues that are verbs of saying, accusing, denying, calling or taking a measure (not those
    whose subject is the accused)."""
    accused = sentence.cues.get("accused_subject", [])
    verbs = [c for g in SPEAKING_VERB_GROUPS for c in sentence.cues.get(g, [])] + _responses(sentence)
    return [v for v in verbs if not any(a.start <= v.start < a.end for a in accused)]


def in_verb_first_subject(sentence: SentenceView, mention: Mention) -> bool:
    """The mention is the subject of a verb-first verb of saying or accusing: it speaks."""
    if not sentence.order.verb_first or sentence.doc is not None:
        return False
    return any(verb_first_subject(sentence, verb) == mention for verb in speaking_verbs(sentence))


def _verb_first_object(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool | None:
    """For a verb-first accusing verb with a subject: is ``mention`` among its objects (named after
    the subject, in the same clause)? ``None`` when ``cue`` is not such a verb."""
    subject = verb_first_subject(sentence, cue)
    if subject is None:
        return None
    if mention.start < subject.end:
        return False
    offset = sentence.span.start
    gap = sentence.text[subject.end - offset : mention.start - offset]
    return len(gap) <= _OBJECT_REACH and not any(c in gap for c in _STRONG_BREAK)


def _verb_final_object(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool:
    """ "China hat Washington (wegen Spionage) beschuldigt": without a parse, a name between a
    clause's auxiliary and the accusing participle that closes it is the accused object."""
    if not sentence.order.auxiliaries or sentence.doc is not None or cue.start < mention.end:
        return False
    after = _between(sentence, mention.end, cue.start)
    if after is None or len(_WORD.findall(after)) > 4:
        return False
    offset = sentence.span.start
    before = sentence.text[max(0, mention.start - offset - _OBJECT_REACH) : mention.start - offset]
    # The object phrase runs from the auxiliary ("haben dem russischen Geheimdienst GRU vorgeworfen").
    for opener in _CLAUSE_OPENERS:
        before = before.rsplit(opener, 1)[-1]
    return any(w.casefold() in sentence.order.auxiliaries for w in _WORD.findall(before))


def is_actor(sentence: SentenceView, mention: Mention) -> bool:
    if in_verb_first_subject(sentence, mention):
        return False
    return qualified_as_actor(sentence, mention) or is_clause_subject_of_attribution(sentence, mention)


def qualified_as_actor(sentence: SentenceView, mention: Mention) -> bool:
    """ "Russian hackers", "linked to China": the words next to the mention make it a perpetrator."""
    # Only a state term qualifies a noun ("Russian hackers"); an organization
    # standing next to one ("the Foreign Ministry over hacker attacks") does not.
    if mention.kind == "state" and any(modifies(sentence, mention, cue) for cue in sentence.cues.get("actor_noun", [])):
        return True
    return qualified_by_attribution(sentence, mention)


def qualified_by_attribution(sentence: SentenceView, mention: Mention) -> bool:
    """ "linked to China", "backed by Iran", "attributed the attack to the GRU"; not the
    subject that follows its verb ("comme l'en a accusé le Royaume-Uni"). In a verb-first
    language, the objects of an accusing verb that opens its clause, after its subject."""
    for cue in sentence.cues.get("attribution", []):
        as_object = _verb_first_object(sentence, mention, cue)
        if as_object is not None:
            if as_object:
                return True
            continue
        if _verb_final_object(sentence, mention, cue):
            return True
        if (
            cue.end <= mention.start
            and mention.start - cue.end <= NEAR
            and _between(sentence, cue.end, mention.start) is not None
            and not _is_subject_of(sentence, mention, cue)
            and not _is_agent_of(sentence, mention, cue)
        ):
            return True
    return False


def is_clause_subject_of_attribution(sentence: SentenceView, mention: Mention) -> bool:
    """ "The SVR was behind the hack", "Russia launched cyberattacks", "North Korea was accused":
    the subject of a clause whose verb or predicate puts its subject on the perpetrators' side."""
    # A cue inside a name ("The Associated Press") is part of the name.
    cues = [
        c
        for c in sentence.cues.get("accused_subject", [])
        if not any(m.start <= c.start and c.end <= m.end for m in sentence.mentions if m.kind != "state")
    ]
    doc = sentence.doc
    if doc is None:
        # Without a parse: the mention stands at most three words before the cue, or, in a
        # verb-first language, is the subject right after it ("شنت روسيا هجمات").
        # Scripts without spaces count a whole clause as one word: no other name (but a victim)
        # may stand between the mention and the cue.
        return any(
            mention.end <= c.start
            and (b := _between(sentence, mention.end, c.start)) is not None
            and len(_WORD.findall(b)) <= 3
            and not any(
                mention.end <= m.start and m.end <= c.start and not is_victim(sentence, m) for m in sentence.mentions
            )
            or verb_first_subject(sentence, c) == mention
            for c in cues
        )
    offset = sentence.span.start
    for cue in cues:
        span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        verb = span.root
        if verb.head.pos_ in ("NOUN", "PROPN", "PRON") and verb.dep_ in ("prep", "amod", "acl", "nmod"):
            # "three groups behind the attacks": the accused is that noun, not the clause subject.
            if _inside_token(verb.head, offset, mention):
                return True
            continue
        while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
            verb = verb.head
        for child in verb.children:
            if child.dep_ in _SUBJECT_DEPS and _inside_token(child, offset, mention):
                return True
    # "North Korea is accused by the Trump administration of ...": the passive
    # subject of an accusing verb.
    for cue in sentence.cues.get("attribution", []):
        span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
        if span is None or len(span) == 0:
            continue
        for child in span.root.children:
            if child.dep_ in _PASSIVE_SUBJECT_DEPS and child.pos_ != "PRON" and _inside_token(child, offset, mention):
                return True
    return False


def _inside_token(token: Token, offset: int, mention: Mention) -> bool:
    low = offset + token.left_edge.idx
    high = offset + token.right_edge.idx + len(token.right_edge.text)
    return low <= mention.start and mention.end <= high


def _is_subject_of(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool:
    """True when the parse makes ``mention`` the active subject of the verb in ``cue``."""
    doc = sentence.doc
    if doc is None:
        return False
    offset = sentence.span.start
    span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
    if span is None or len(span) == 0:
        return False
    return any(c.dep_ == "nsubj" and _inside_token(c, offset, mention) for c in span.root.children)


def _is_agent_of(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool:
    """ "accusée par l'administration Trump": the agent of an accusing verb accuses. A cue that
    holds its own preposition ("carried out by", "menée par") names the perpetrator instead."""
    doc = sentence.doc
    if doc is None:
        return False
    offset = sentence.span.start
    span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")
    if span is None or len(span) == 0:
        return False
    for child in span.root.children:
        if child.dep_ in ("agent", "obl:agent") and _inside_token(child, offset, mention):
            return offset + child.left_edge.idx >= cue.end
    return False


def _has_finite_verb(sentence: SentenceView, start: int, end: int, breaking: frozenset[str] = frozenset()) -> bool:
    """A finite verb (or a word of the ``breaking`` parts of speech) between two offsets."""
    doc = sentence.doc
    if doc is None or end <= start:
        return False
    offset = sentence.span.start
    return any(
        start <= offset + t.idx < end and (t.pos_ == "AUX" or t.pos_ in breaking or "VerbForm=Fin" in str(t.morph))
        for t in doc
    )


def is_target(sentence: SentenceView, mention: Mention) -> bool:
    """ "sanctions against Russia", "Einreiseverbote gegen zwei Russen": the state right after a
    ``response_target`` word is what a measure of the sentence targets."""
    return any(
        cue.end <= mention.start
        and mention.start - cue.end <= 20
        and _between(sentence, cue.end, mention.start) is not None
        for cue in sentence.cues.get("response_target", [])
    )


def is_victim(sentence: SentenceView, mention: Mention) -> bool:
    for cue in sentence.cues.get("victim_marker", []):
        if (
            cue.end <= mention.start
            and mention.start - cue.end <= 20
            and _between(sentence, cue.end, mention.start) is not None
        ):
            return True
    if any(modifies(sentence, mention, cue) for cue in sentence.cues.get("actor_noun", [])):
        return False
    return any(modifies(sentence, mention, cue, place_closes=True) for cue in sentence.cues.get("victim_noun", []))
