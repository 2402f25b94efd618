"""Incident-type cues and the rule that turns them into a document's types.

The cues come from ``patterns/<lang>/incident_types.json``: one group per type
of the closed set in RECORD.md (``record.INCIDENT_TYPES``), each pattern with a
weight saying how surely it signals an event of that type ("ransomware" 3,
"ransom" 2, "encrypting" 1.5). Group names outside the closed set are refused
when the file is loaded.

Decision rule (:func:`document_types`, numbers in :class:`TypeRule`):

1. Each cue counts its weight, ``head_factor`` times in the first
   ``head_chars`` characters (title and lead), since an article leads with its
   event and mentions others in passing.
2. Repeats of one pattern add up as ``mean weight * sqrt(count)``, not
   linearly: a report that says "data" thirty times is not thirty times more
   about a breach, while several *different* cues are real evidence.
3. The type's score is divided by ``sqrt(text_length / reference_chars)`` for
   texts longer than ``reference_chars``: a long report repeats words more.
4. A type is kept when its score reaches its threshold (``min_scores``,
   else ``min_score``) *and* at least its ``relatives`` share (else
   ``relative``) of the best type's score, so that a ransomware story that
   recalls a phishing email once does not also become a phishing story, while
   an article about two real events (a breach through phishing) keeps both.

Types come out best first.

Event pairs (``"events"`` in the pattern file): single words such as "data",
"information" or "stolen" recur in stories about any attack, but an action and
its object close together ("stole the customer data", "records were exposed")
describe the event itself. :class:`EventPairs` finds such pairs and adds each as
one more cue of its type, with the weight the file gives it; on CASIE train and
dev this lifted ``data_breach`` recall without costing precision, where raising
the single words' weights did not.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from cyberops.nlp.lexicon import PATTERN_DIR, PATTERN_PACKAGE, Lexicon, LexiconCache, LexiconError, available_languages
from cyberops.record import INCIDENT_TYPES

LEXICON_NAME = "incident_types"


@dataclass(frozen=True)
class TypeCue:
    """A word or phrase that signals an incident of ``type`` at ``text[start:end]``."""

    type: str
    start: int
    end: int
    text: str
    weight: float
    # The lexicon entry that matched; repeats of one entry saturate (rule step 2).
    pattern: str = ""


@dataclass(frozen=True)
class TypeRule:
    """The numbers of the decision rule (see the module docstring)."""

    min_score: float = 4.0
    # Types whose cues are rarer or more specific need less evidence, those
    # whose words also appear in passing ("patch", "researcher") need more.
    # data_breach is low because its lexicon now holds only data-theft words.
    # Fitted on CASIE train only (coordinate ascent; docs/decisions/incident-typing.md):
    # one "ransom" or "phishing" in a long article still counts.
    min_scores: dict[str, float] = field(
        default_factory=lambda: {"ransomware": 0.75, "phishing": 2.75, "data_breach": 2.25, "vulnerability": 5.5}
    )
    relative: float = 0.05
    # Breach words ("stolen", "accessed", "records") recur in passing in
    # ransomware and phishing stories; a breach must hold its own against them.
    relatives: dict[str, float] = field(default_factory=lambda: {"data_breach": 0.2})
    head_chars: int = 300
    head_factor: float = 2.0
    reference_chars: int = 2500


_WORD = re.compile(r"[^\W\d_][\w'-]*\*?")


@dataclass(frozen=True)
class EventPair:
    """An action word and an object word of one type, at most ``max_gap`` words apart, in either order."""

    type: str
    weight: float
    regex: re.Pattern[str]


class EventPairs:
    """The ``"events"`` section of a pattern file, compiled (see the module docstring)."""

    def __init__(self, pairs: list[EventPair]) -> None:
        self.pairs = pairs

    def scan(self, text: str) -> list[TypeCue]:
        cues: list[TypeCue] = []
        for pair in self.pairs:
            # One pattern key per type: repeated pairs saturate like repeats of one lexicon entry.
            key = f"event:{pair.type}"
            cues.extend(
                TypeCue(pair.type, m.start(), m.end(), m.group(0), pair.weight, key) for m in pair.regex.finditer(text)
            )
        return sorted(cues, key=lambda c: c.start)

    @classmethod
    def parse(cls, data: Any, source: str) -> EventPairs:
        """Validate and compile ``data["events"]`` (absent: no pairs)."""
        events = data.get("events", {}) if isinstance(data, dict) else {}
        if not isinstance(events, dict):
            raise LexiconError(source, '"events" must be an object keyed by incident type')
        pairs = []
        for type_, spec in events.items():
            where = f"{source}, events {type_!r}"
            if type_ not in INCIDENT_TYPES:
                raise LexiconError(where, f"unknown incident type; use one of {list(INCIDENT_TYPES)} (RECORD.md)")
            if not isinstance(spec, dict):
                raise LexiconError(where, 'give {"weight": 1, "max_gap": 2, "actions": [...], "objects": [...]}')
            weight, gap = spec.get("weight", 1.0), spec.get("max_gap", 2)
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                raise LexiconError(where, f'"weight" must be a number, not {weight!r}')
            if not isinstance(gap, int) or isinstance(gap, bool) or gap < 0:
                raise LexiconError(where, f'"max_gap" must be a whole number of words >= 0, not {gap!r}')
            action = _alternatives(spec.get("actions"), f"{where}, actions")
            obj = _alternatives(spec.get("objects"), f"{where}, objects")
            between = rf"(?:\W+\w+){{0,{gap}}}?\W+"
            regex = re.compile(rf"\b{action}{between}{obj}\b|\b{obj}{between}{action}\b", re.IGNORECASE)
            pairs.append(EventPair(type_, float(weight), regex))
        return cls(pairs)


def _alternatives(words: Any, where: str) -> str:
    """``["stole", "steal*"]`` as one regex group; ``*`` at the end of a word is any run of word characters."""
    if not isinstance(words, list) or not words:
        raise LexiconError(where, "give a non-empty list of words")
    out = []
    for word in words:
        if not isinstance(word, str) or not _WORD.fullmatch(word):
            raise LexiconError(where, f"{word!r} is not a single word (letters, an optional * at the end)")
        out.append(re.escape(word[:-1]) + r"\w*" if word.endswith("*") else re.escape(word))
    return "(?:" + "|".join(out) + ")"


def _pattern_files(lang: str | None) -> list[tuple[str, Any]]:
    """(source, parsed JSON) of ``patterns/<lang>/incident_types.json``; every language's for an unknown one."""
    languages = available_languages(LEXICON_NAME)
    files = []
    for code in [lang] if lang in languages else languages:
        source = f"patterns/{code}/{LEXICON_NAME}.json"
        try:
            resource = resources.files(PATTERN_PACKAGE).joinpath(PATTERN_DIR, code, f"{LEXICON_NAME}.json")
            data = json.loads(resource.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise LexiconError(source, f"not valid JSON ({error}); fix the syntax at that line") from error
        files.append((source, data))
    return files


def load_event_pairs(lang: str | None) -> EventPairs:
    """The event pairs of ``patterns/<lang>/incident_types.json``; every language's for an unknown one."""
    return EventPairs([pair for source, data in _pattern_files(lang) for pair in EventPairs.parse(data, source).pairs])


@dataclass(frozen=True)
class ThreatList:
    """Cues of ``type`` that stand as one item in a list of threats count ``factor`` times their weight."""

    type: str
    factor: float
    before: re.Pattern[str]
    after: re.Pattern[str]


class ThreatLists:
    """The ``"lists"`` section of a pattern file, compiled (see the module docstring)."""

    # How far to look on either side of a cue for the neighbouring list item.
    WINDOW = 60

    def __init__(self, lists: list[ThreatList]) -> None:
        self.lists = lists

    def apply(self, text: str, cues: list[TypeCue]) -> list[TypeCue]:
        if not self.lists:
            return cues
        out = []
        for cue in cues:
            for spec in self.lists:
                if cue.type == spec.type and (
                    spec.before.search(text[max(0, cue.start - self.WINDOW) : cue.start])
                    or spec.after.match(text[cue.end : cue.end + self.WINDOW])
                ):
                    cue = replace(cue, weight=cue.weight * spec.factor)
                    break
            out.append(cue)
        return out

    @classmethod
    def parse(cls, data: Any, source: str) -> ThreatLists:
        """Validate and compile ``data["lists"]`` (absent: no lists)."""
        lists_ = data.get("lists", {}) if isinstance(data, dict) else {}
        if not isinstance(lists_, dict):
            raise LexiconError(source, '"lists" must be an object keyed by incident type')
        out = []
        for type_, spec in lists_.items():
            where = f"{source}, lists {type_!r}"
            if type_ not in INCIDENT_TYPES:
                raise LexiconError(where, f"unknown incident type; use one of {list(INCIDENT_TYPES)} (RECORD.md)")
            if not isinstance(spec, dict):
                raise LexiconError(where, 'give {"factor": 0, "joiners": [...], "items": [...]}')
            factor = spec.get("factor", 0.0)
            if not isinstance(factor, int | float) or isinstance(factor, bool) or not 0 <= factor <= 1:
                raise LexiconError(where, f'"factor" must be a number from 0 to 1, not {factor!r}')
            items = _phrases(spec.get("items"), f"{where}, items")
            joiners = _phrases(spec.get("joiners"), f"{where}, joiners")
            join = rf"\s*(?:,|,?\s*{joiners})\s*"
            before = re.compile(rf"\b{items}{join}$", re.IGNORECASE)
            after = re.compile(rf"{join}(?:\w+\s+)?{items}\b", re.IGNORECASE)
            out.append(ThreatList(type_, float(factor), before, after))
        return cls(out)


def _phrases(words: Any, where: str) -> str:
    """``["malware", "exploit kit*"]`` as one regex group; words of a phrase are separated by spaces."""
    if not isinstance(words, list) or not words:
        raise LexiconError(where, "give a non-empty list of words or phrases")
    out = []
    for phrase in words:
        parts = phrase.split() if isinstance(phrase, str) else []
        if not parts or not all(_WORD.fullmatch(p) or p in {"&", "/"} for p in parts):
            raise LexiconError(where, f"{phrase!r} is not a word or phrase (letters, an optional * at the end)")
        out.append(r"\s+".join(re.escape(p[:-1]) + r"\w*" if p.endswith("*") else re.escape(p) for p in parts))
    return "(?:" + "|".join(out) + ")"


def load_threat_lists(lang: str | None) -> ThreatLists:
    """The threat lists of ``patterns/<lang>/incident_types.json``; every language's for an unknown one."""
    return ThreatLists([t for source, data in _pattern_files(lang) for t in ThreatLists.parse(data, source).lists])


class IncidentTypeScanner:
    """Finds incident-type cues; lexicons and event pairs load on first use and stay cached here."""

    def __init__(self, rule: TypeRule | None = None, lexicons: LexiconCache | None = None) -> None:
        self.rule = rule or TypeRule()
        self._lexicons = lexicons or LexiconCache()
        self._checked: set[int] = set()
        self._events: dict[str | None, EventPairs] = {}
        self._lists: dict[str | None, ThreatLists] = {}

    def scan(self, text: str, lang: str | None) -> list[TypeCue]:
        lexicon = self._lexicons.get(LEXICON_NAME, lang)
        self._check(lexicon)
        cues = [TypeCue(m.group, m.start, m.end, m.text, m.weight, m.pattern) for m in lexicon.scan(text)]
        if lang not in self._events:
            self._events[lang] = load_event_pairs(lang)
        if lang not in self._lists:
            self._lists[lang] = load_threat_lists(lang)
        cues = self._lists[lang].apply(text, cues)
        pairs = self._events[lang].scan(text)
        return sorted(cues + pairs, key=lambda c: c.start) if pairs else cues

    def types(self, text: str, lang: str | None) -> list[str]:
        """Shortcut: the document types of ``text``."""
        return document_types(self.scan(text, lang), len(text), self.rule)

    def _check(self, lexicon: Lexicon) -> None:
        if id(lexicon) in self._checked:
            return
        unknown = sorted(set(lexicon.groups) - set(INCIDENT_TYPES))
        if unknown:
            source = f"patterns/{'+'.join(lexicon.languages) or '*'}/{LEXICON_NAME}.json"
            raise LexiconError(
                source,
                f"unknown incident type group(s) {unknown}; use only {list(INCIDENT_TYPES)} (RECORD.md)",
            )
        self._checked.add(id(lexicon))


def type_scores(cues: list[TypeCue], text_length: int, rule: TypeRule | None = None) -> dict[str, float]:
    """Each type's position-weighted, length-normalized score."""
    rule = rule or TypeRule()
    sums: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for cue in cues:
        key = (cue.type, cue.pattern or cue.text.lower())
        sums[key] += cue.weight * (rule.head_factor if cue.start < rule.head_chars else 1.0)
        counts[key] += 1
    scores: dict[str, float] = defaultdict(float)
    for key, total in sums.items():
        scores[key[0]] += total / counts[key] * math.sqrt(counts[key])
    length_factor = math.sqrt(max(text_length, rule.reference_chars) / rule.reference_chars)
    return {t: s / length_factor for t, s in scores.items()}


def document_types(cues: list[TypeCue], text_length: int, rule: TypeRule | None = None) -> list[str]:
    """The incident types a document reports, best first (the rule in the module docstring)."""
    rule = rule or TypeRule()
    scores = type_scores(cues, text_length, rule)
    if not scores:
        return []
    best = max(scores.values())
    kept = [
        t
        for t, s in scores.items()
        if s >= rule.min_scores.get(t, rule.min_score) and s >= rule.relatives.get(t, rule.relative) * best
    ]
    return sorted(kept, key=lambda t: (-scores[t], INCIDENT_TYPES.index(t)))
