"""Which side of an operation a state mention stands on: perpetrator or victim.

"Russian hackers", "pirates informatiques russes", "linked to China" put a
state on the perpetrators' side; "against Ukraine", "a Norwegian software
company" put it on the victims' side. Both tests look at the cue words
(``actor_noun``, ``attribution``, ``victim_marker``, ``victim_noun``) standing
next to the mention, at most two words away.
"""

from __future__ import annotations

import re

from cyberops.nlp.claim_cues import CueMatch
from cyberops.nlp.mentions import Mention, SentenceView

# How far (in characters) a cue word may stand from a state term to qualify it.
NEAR = 32
_WORD = re.compile(r"\w+")
_CLAUSE_BREAK = ",;:.«»\"“”()"


def adjacent(sentence: SentenceView, mention: Mention, cue: CueMatch) -> bool:
    """True when at most two words, and no clause break, separate ``mention`` and ``cue``."""
    offset = sentence.span.start
    if cue.start >= mention.end:
        between = sentence.text[mention.end - offset : cue.start - offset]
    elif mention.start >= cue.end:
        between = sentence.text[cue.end - offset : mention.start - offset]
    else:
        return False
    if len(between) > NEAR or any(p in between for p in _CLAUSE_BREAK):
        return False
    return len(_WORD.findall(between)) <= 2


def is_actor(sentence: SentenceView, mention: Mention) -> bool:
    if any(adjacent(sentence, mention, cue) for cue in sentence.cues.get("actor_noun", [])):
        return True
    # "linked to China", "backed by Iran", "travaillant pour le département chinois"
    return any(
        cue.end <= mention.start and mention.start - cue.end <= NEAR for cue in sentence.cues.get("attribution", [])
    )


def is_victim(sentence: SentenceView, mention: Mention) -> bool:
    for cue in sentence.cues.get("victim_marker", []):
        if cue.end <= mention.start and mention.start - cue.end <= 20:
            return True
    if any(adjacent(sentence, mention, cue) for cue in sentence.cues.get("actor_noun", [])):
        return False
    return any(adjacent(sentence, mention, cue) for cue in sentence.cues.get("victim_noun", []))
