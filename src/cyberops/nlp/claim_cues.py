"""Claim cue lexicons: per-language data files of cue words, compiled once.

``patterns/<lang>/claims.json`` holds named groups of regular-expression
fragments. A group names one role a word can play in a claim:

- ``denial`` / ``denial_weak`` (weak ones need an ``accusation_noun`` nearby),
- ``attribution`` and ``hedge`` (a hedge makes an attribution ``hedged``),
- ``accused_subject``: words whose grammatical subject is the accused, not a
  speaker ("the SVR *was behind*", "Russia *launched* cyberattacks"),
- ``actor_noun`` / ``victim_marker`` / ``victim_noun`` place a state on the
  accused or on the victim side,
- ``response_<measure>`` for each measure of RECORD.md, and ``response_target``
  (prepositions after which a state is what a measure targets: "gegen", "против"),
- ``admission``, ``cooperation`` + ``call``, ``unnamed_states``,
  ``misconduct`` (what a counter-accusation must be about), ``speech``
  (reporting verbs that introduce a speaker), ``source`` (prepositions that
  introduce one: "according to", "selon"), ``media_source`` (unnamed
  sources) and ``press`` (media, whose nationality does not make them speak
  for a state: "les médias américains"),
- ``role_noun`` (spokesman, ministre…) and ``speaker_pronoun`` (he, she,
  elle: pronouns that continue the last named speaker; "it" does not).

Fragments are matched case-insensitively, on word boundaries, all groups in
one pass: each group is compiled to a single alternation, longest first.
A language without a file gets an empty lexicon: it still goes through the
knowledge-base steps, it just finds no claims.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources

from cyberops.errors import CyberopsError

GROUPS: tuple[str, ...] = (
    "denial",
    "denial_weak",
    "accusation_noun",
    "attribution",
    "accused_subject",
    "hedge",
    "actor_noun",
    "victim_marker",
    "victim_noun",
    "response_sanction",
    "response_indictment",
    "response_arrest",
    "response_expulsion",
    "response_summons",
    "response_protest",
    "response_retaliation",
    "response_other",
    "response_target",
    "admission",
    "cooperation",
    "call",
    "unnamed_states",
    "misconduct",
    "speech",
    "source",
    "media_source",
    "press",
    "role_noun",
    "speaker_pronoun",
)


# Each response group and the measure of RECORD.md it stands for.
RESPONSE_MEASURES: dict[str, str] = {
    group: group.removeprefix("response_")
    for group in GROUPS
    if group.startswith("response_") and group != "response_target"
}
# Groups that make a sentence worth a dependency parse: someone claims something there.
PARSE_GROUPS: tuple[str, ...] = (
    "denial",
    "denial_weak",
    "attribution",
    "admission",
    "cooperation",
    "unnamed_states",
    "speech",
    "source",
    "accused_subject",
    *RESPONSE_MEASURES,
)


@dataclass(frozen=True)
class CueMatch:
    group: str
    start: int
    end: int
    text: str


class ClaimCueError(CyberopsError):
    """A claims.json file is malformed; the message names the file and group."""


@dataclass(frozen=True)
class WordOrder:
    """The word-order facts of a language (its claims.json ``options``), shared by its sentences."""

    # Where a state adjective stands: "Russian hackers" or "pirates russes".
    adjectives_follow_noun: bool = False
    # Words that may join a noun to a state after it: "hackers from Russia".
    linking_words: frozenset[str] = frozenset()
    # Words before a state that say where a role is held, not whose it is: "Russian ambassador to Germany".
    host_words: frozenset[str] = frozenset()
    # Auxiliaries that open a clause whose accusing participle comes last: "China hat Washington beschuldigt".
    auxiliaries: frozenset[str] = frozenset()
    # Verb-subject-object order: a verb that opens its clause is followed by its subject.
    verb_first: bool = False

    @cached_property
    def prepositions(self) -> frozenset[str]:
        """What stands for prepositions without a parse: the linking and host words."""
        return self.linking_words | self.host_words

    @classmethod
    def from_options(cls, options: dict) -> WordOrder:
        def words(key: str) -> frozenset[str]:
            return frozenset(w.casefold() for w in options.get(key, []))

        return cls(
            adjectives_follow_noun=bool(options.get("adjectives_follow_noun", False)),
            linking_words=words("linking_words"),
            host_words=words("host_words"),
            auxiliaries=words("auxiliaries"),
            verb_first=bool(options.get("verb_first", False)),
        )


class ClaimCues:
    """The compiled cue groups of one language."""

    def __init__(self, lang: str, groups: dict[str, re.Pattern[str]], options: dict | None = None) -> None:
        self.lang = lang
        self._groups = groups
        self.order = WordOrder.from_options(options or {})

    def __bool__(self) -> bool:
        return bool(self._groups)

    def find(self, text: str, group: str) -> list[CueMatch]:
        pattern = self._groups.get(group)
        if pattern is None:
            return []
        return [CueMatch(group, m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]

    def find_all(self, text: str) -> dict[str, list[CueMatch]]:
        return {group: self.find(text, group) for group in self._groups}

    def has(self, text: str, group: str) -> bool:
        pattern = self._groups.get(group)
        return bool(pattern and pattern.search(text))


def _compile(lang: str, name: str, fragments: list[str], boundaries: bool = True) -> re.Pattern[str]:
    for fragment in fragments:
        try:
            re.compile(fragment)
        except re.error as exc:
            raise ClaimCueError(
                f"patterns/{lang}/claims.json: group {name!r}: bad pattern {fragment!r}: {exc}"
            ) from exc
    alternation = "|".join(sorted(fragments, key=len, reverse=True))
    if not boundaries:
        # Scripts written without spaces (Chinese, Japanese): a word may touch letters on both sides.
        return re.compile(rf"(?:{alternation})", re.IGNORECASE)
    # Unicode word boundaries that also work next to apostrophes and hyphens.
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w])", re.IGNORECASE)


@cache
def load_claim_cues(lang: str | None) -> ClaimCues:
    """The cue lexicon of ``lang``, or an empty one if the language has none."""
    if not lang:
        return ClaimCues("", {})
    try:
        raw = resources.files("cyberops.nlp").joinpath(f"patterns/{lang}/claims.json").read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return ClaimCues(lang, {})
    data = json.loads(raw)
    groups = data.get("groups")
    if not isinstance(groups, dict):
        raise ClaimCueError(f"patterns/{lang}/claims.json: expected an object 'groups'")
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise ClaimCueError(f"patterns/{lang}/claims.json: unknown groups {sorted(unknown)}; known: {GROUPS}")
    boundaries = bool((data.get("options") or {}).get("word_boundaries", True))
    compiled = {
        name: _compile(lang, name, list(fragments), boundaries) for name, fragments in groups.items() if fragments
    }
    return ClaimCues(lang, compiled, data.get("options"))
