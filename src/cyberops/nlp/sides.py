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

from cyberops.nlp.claim_cues import CueMatch
from cyberops.nlp.mentions import Mention, SentenceView

# How far (in characters) a cue word may stand from a state term to qualify it.
NEAR = 32
_WORD = re.compile(r"[\w']+")
_CLAUSE_BREAK = ',;:.«»"“”()'
# Attribution cues that are not verbs: their clause's subject is the accused
# ("the SVR was behind the hack", "the group is linked to Beijing").
_SUBJECT_SIDE_CUES = re.compile(
    r"\b(?:behind|responsible|linked|tied|connected|associated|derrière|responsables?|liée?s?)\b", re.I
)


def _between(sentence: SentenceView, left_end: int, right_start: int) -> str | None:
    offset = sentence.span.start
    between = sentence.text[left_end - offset : right_start - offset]
    if len(between) > NEAR or any(p in between for p in _CLAUSE_BREAK):
        return None
    return between


def modifies(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool:
    """True when the state ``mention`` qualifies the noun ``cue`` in the language's word order."""
    if cue.start >= mention.end:
        # state … noun: "Russian (state-sponsored) hackers"
        between = _between(sentence, mention.end, cue.start)
        # Where adjectives follow the noun, "Copenhague accuse les services" is a
        # subject and its verb, not a state qualifying a noun.
        limit = 0 if sentence.adjectives_follow_noun else 2
        return between is not None and len(_WORD.findall(between)) <= limit
    if mention.start >= cue.end:
        # noun … state: "pirates (informatiques) russes", "hackers from Russia"
        between = _between(sentence, cue.end, mention.start)
        if between is None:
            return False
        words = [w.casefold() for w in _WORD.findall(between)]
        if sentence.adjectives_follow_noun and len(words) <= 2:
            return True
        return 1 <= len(words) <= 2 and words[0] in sentence.linking_words
    return False


def is_actor(sentence: SentenceView, mention: Mention) -> bool:
    # Only a state term qualifies a noun ("Russian hackers"); an organization
    # standing next to one ("the Foreign Ministry over hacker attacks") does not.
    if mention.kind == "state" and any(modifies(sentence, mention, cue) for cue in sentence.cues.get("actor_noun", [])):
        return True
    # "linked to China", "backed by Iran", "attributed the attack to the GRU"
    if any(
        cue.end <= mention.start
        and mention.start - cue.end <= NEAR
        and _between(sentence, cue.end, mention.start) is not None
        for cue in sentence.cues.get("attribution", [])
    ):
        return True
    return is_clause_subject_of_attribution(sentence, mention)


def is_clause_subject_of_attribution(sentence: SentenceView, mention: Mention) -> bool:
    """ "The SVR was behind the hack": the subject of a clause holding a non-verbal attribution cue."""
    cues = [c for c in sentence.cues.get("attribution", []) if _SUBJECT_SIDE_CUES.search(c.text)]
    if not cues:
        return False
    doc = sentence.doc
    if doc is None:
        # Without a parse: the mention stands at most three words before the cue.
        return any(
            mention.end <= c.start
            and (b := _between(sentence, mention.end, c.start)) is not None
            and len(_WORD.findall(b)) <= 3
            for c in cues
        )
    offset = sentence.span.start
    for cue in cues:
        span = doc.char_span(cue.start - offset, cue.end - offset, alignment_mode="expand")  # type: ignore[attr-defined]
        if span is None or len(span) == 0:
            continue
        verb = span.root
        if verb.head.pos_ in ("NOUN", "PROPN") and verb.dep_ in ("prep", "amod", "acl", "nmod"):
            # "three groups behind the attacks": the accused is that noun, not the clause subject.
            head = verb.head
            low, high = offset + head.left_edge.idx, offset + head.right_edge.idx + len(head.right_edge.text)
            if low <= mention.start and mention.end <= high:
                return True
            continue
        while verb.pos_ not in ("VERB", "AUX") and verb.head is not verb:
            verb = verb.head
        for child in verb.children:
            if child.dep_ in ("nsubj", "nsubjpass", "nsubj:pass"):
                low = offset + child.left_edge.idx
                high = offset + child.right_edge.idx + len(child.right_edge.text)
                if low <= mention.start and mention.end <= high:
                    return True
    return False


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
    return any(modifies(sentence, mention, cue) for cue in sentence.cues.get("victim_noun", []))
