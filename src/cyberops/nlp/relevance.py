"""The cheap relevance pass: is this article about cyber operations at all?

It runs on every article of a news stream before anything expensive, so it is
one Aho–Corasick scan over the text with the language's
``patterns/<lang>/relevance.json`` (see :mod:`cyberops.nlp.lexicon`), plus
arithmetic.

Scoring (:class:`RelevanceRule` holds the numbers):

1. ``strong`` cues (cyberattack, ransomware, hackers, 网络攻击…) count with
   their weight.
2. ``weak`` cues (attack, leak, espionage, virus…) count only when the text
   also has a strong cue, or a ``context`` cue (computer, online, serveur,
   Netz…) lies within ``context_window`` characters. So "attack after attack"
   in a football report or a kidnapping "ransom" count for nothing.
3. A cue in the title and lead (the first ``head_chars`` characters) counts
   ``head_factor`` times: what an article leads with is what it is about.
4. Each knowledge-base hit (a threat actor or malware named, counted by the
   caller) adds ``kb_weight``, up to ``kb_cap`` hits.
5. The sum is divided by ``sqrt(len(text) / reference_chars)`` when the text is
   longer than ``reference_chars``, so one passing mention in a long article
   weighs less than the same mention in a short one.

The article is relevant when that score reaches ``threshold``. With the
defaults, one strong cue in the lead is enough; in the body it takes two, or
one plus a weak cue in a computing context.

An unknown language (``lang=None``) or one without a file is scanned with the
union of every language's cues.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

from cyberops.nlp.lexicon import LexiconCache, LexiconMatch

LEXICON_NAME = "relevance"


@dataclass(frozen=True)
class Cue:
    """A cue that contributed to the score; ``weight`` is after position weighting."""

    start: int
    end: int
    text: str
    weight: float


@dataclass(frozen=True)
class RelevanceResult:
    relevant: bool
    score: float
    cues: list[Cue] = field(default_factory=list)


@dataclass(frozen=True)
class RelevanceRule:
    """The numbers of the decision rule (see the module docstring)."""

    threshold: float = 5.0
    head_chars: int = 400
    head_factor: float = 2.0
    context_window: int = 120
    kb_weight: float = 2.0
    kb_cap: int = 3
    reference_chars: int = 3000


class RelevanceScanner:
    """Scores articles for relevance; lexicons load on first use and stay cached here."""

    def __init__(self, rule: RelevanceRule | None = None, lexicons: LexiconCache | None = None) -> None:
        self.rule = rule or RelevanceRule()
        self._lexicons = lexicons or LexiconCache()

    def scan(self, text: str, lang: str | None, kb_hits: int = 0) -> RelevanceResult:
        return self.decide(self.cues(text, lang), len(text), kb_hits)

    def cues(self, text: str, lang: str | None) -> list[Cue]:
        """The cues that count (steps 1–3), in text order, weighted by position."""
        rule = self.rule
        matches = self._lexicons.get(LEXICON_NAME, lang).scan(text)
        strong = [m for m in matches if m.group == "strong"]
        context_starts = [m.start for m in matches if m.group == "context"]
        counted: list[LexiconMatch] = list(strong)
        for match in matches:
            if match.group == "weak" and (strong or _near(context_starts, match, rule.context_window)):
                counted.append(match)
        counted.sort(key=lambda m: m.start)
        return [
            Cue(m.start, m.end, m.text, m.weight * (rule.head_factor if m.start < rule.head_chars else 1.0))
            for m in counted
        ]

    def decide(self, cues: list[Cue], length: int, kb_hits: int = 0) -> RelevanceResult:
        """Steps 4–5: add the knowledge-base hits, correct for length, compare with the threshold.

        Called with ``kb_hits=rule.kb_cap`` it tells whether an article could be relevant
        at all, before the knowledge base is scanned: the KB adds at most that much.
        """
        score = self._score(sum(c.weight for c in cues), length, kb_hits)
        return RelevanceResult(score >= self.rule.threshold, round(score, 3), cues)

    def kb_hits_needed(self, cues: list[Cue], length: int) -> int | None:
        """The fewest knowledge-base hits with which the article would be relevant (0 if the cues
        suffice), or None when not even ``kb_cap`` hits would do."""
        cue_weight = sum(c.weight for c in cues)
        for hits in range(self.rule.kb_cap + 1):
            if self._score(cue_weight, length, hits) >= self.rule.threshold:
                return hits
        return None

    def _score(self, cue_weight: float, length: int, kb_hits: int) -> float:
        rule = self.rule
        raw = cue_weight + rule.kb_weight * min(max(kb_hits, 0), rule.kb_cap)
        return raw / math.sqrt(max(length, rule.reference_chars) / rule.reference_chars)


def _near(sorted_starts: list[int], match: LexiconMatch, window: int) -> bool:
    """Is any context cue within ``window`` characters of ``match``?"""
    index = bisect_left(sorted_starts, match.start - window)
    return index < len(sorted_starts) and sorted_starts[index] <= match.end + window
