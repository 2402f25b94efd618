"""Cue lexicons: per-language pattern files, validated on load, scanned in one pass.

A lexicon lives in ``cyberops/nlp/patterns/<lang>/<name>.json``::

    {
      "description": "what the cues are for",
      "word_boundaries": true,
      "groups": {
        "strong": {"weight": 3.0, "patterns": ["cyber~attack*", "ransomware*"]},
        "weak":   {"weight": 1.0, "patterns": ["hack*", {"pattern": "leak*", "weight": 0.5}]}
      }
    }

Pattern syntax (deliberately small, so a linguist can write it and no entry can
make the scan slow):

- letters stand for themselves, matched case-insensitively;
- ``*`` at the end of a word: any run of word characters (inflections,
  ``hack*`` matches hack, hacker, hackers, hacking); inside or at the start of
  a word it stands for the same run (``*قراصنة`` also matches ``والقراصنة``);
- a space: one or more whitespace characters;
- ``~``: a hyphen, a space or nothing (``cyber~attack*`` matches cyberattack,
  cyber-attack, cyber attacks).

Every pattern must start with at least two literal characters (after an
optional leading ``*``); that literal *anchor* is what the Aho–Corasick
automaton looks for, and the rest of the pattern is checked only where an
anchor was found. This is why an article scans in microseconds whatever the
number of patterns.

``word_boundaries`` (default true) requires a non-word character (or the text
edge) on both sides of a match; set it to false for scripts written without
spaces (Chinese, Japanese). A pattern with a leading or trailing ``*`` relaxes
that side by construction.

Where matches overlap, the longest wins, then the one listed first (groups in
file order, then patterns in group order).

Public API: :func:`load_patterns`, :func:`available_languages`,
:class:`Lexicon` (``scan(text) -> list[LexiconMatch]``), :class:`LexiconCache`
(lazy, per-object cache with the union lexicon for an unknown language) and
:class:`LexiconError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import ahocorasick

from cyberops.errors import CyberopsError
from cyberops.kb.textnorm import unify_variants

PATTERN_PACKAGE = "cyberops.nlp"
PATTERN_DIR = "patterns"
_SPECIALS = "*~ "
_MIN_ANCHOR = 2


class LexiconError(CyberopsError):
    """A pattern file is malformed; the message names the file and the entry to fix."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True)
class LexiconMatch:
    """One cue found in a text: ``text[start:end]`` matched ``pattern`` of ``group``."""

    group: str
    start: int
    end: int
    text: str
    weight: float
    pattern: str


@dataclass(frozen=True)
class _Pattern:
    group: str
    source: str
    weight: float
    anchor: str
    regex: re.Pattern[str]
    leading_wildcard: bool
    word_boundaries: bool
    order: int


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _fold(text: str) -> str:
    """Lower-case ``text`` without changing its length, so offsets stay valid; apostrophe and
    dash variants are unified ("l’origine" is "l'origine")."""
    text = unify_variants(text)
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters (Turkish İ) lower-case to two; keep those as they are.
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _compile(source: str, where: str) -> tuple[str, re.Pattern[str], bool]:
    """Turn one pattern into (anchor, regex starting at the anchor, leading wildcard)."""
    body = _fold(source.strip())
    leading = body.startswith("*")
    if leading:
        body = body[1:]
    anchor = ""
    for char in body:
        if char in _SPECIALS:
            break
        anchor += char
    if len(anchor) < _MIN_ANCHOR:
        raise LexiconError(
            where,
            f"pattern {source!r} must start with at least {_MIN_ANCHOR} literal characters "
            "(the anchor that is searched for); lengthen it or drop the entry",
        )
    parts = []
    for char in body:
        if char == "*":
            parts.append(r"\w*")
        elif char == "~":
            parts.append(r"[\s\-‐‑]?")
        elif char == " ":
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    return anchor, re.compile("".join(parts)), leading


def _entries(group: dict[str, Any], where: str) -> list[tuple[str, float]]:
    if not isinstance(group, dict) or not isinstance(group.get("patterns"), list):
        raise LexiconError(where, 'a group must be an object with a "patterns" list')
    default = group.get("weight", 1.0)
    if not isinstance(default, int | float):
        raise LexiconError(where, f'"weight" must be a number, not {default!r}')
    out = []
    for index, entry in enumerate(group["patterns"]):
        spot = f"{where}, pattern #{index}"
        if isinstance(entry, str):
            out.append((entry, float(default)))
        elif isinstance(entry, dict) and isinstance(entry.get("pattern"), str):
            weight = entry.get("weight", default)
            if not isinstance(weight, int | float):
                raise LexiconError(spot, f'"weight" must be a number, not {weight!r}')
            out.append((entry["pattern"], float(weight)))
        else:
            raise LexiconError(spot, 'an entry is a string or {"pattern": "...", "weight": 1.0}')
    return out


@dataclass
class Lexicon:
    """A validated set of cue patterns for one language (or a union of languages)."""

    name: str
    languages: tuple[str, ...]
    patterns: list[_Pattern] = field(default_factory=list)
    _automaton: Any = field(default=None, init=False, repr=False)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(p.group for p in self.patterns))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def _build(self) -> Any:
        automaton = ahocorasick.Automaton()
        by_anchor: dict[str, list[_Pattern]] = {}
        for pattern in self.patterns:
            by_anchor.setdefault(pattern.anchor, []).append(pattern)
        for anchor, patterns in by_anchor.items():
            automaton.add_word(anchor, (len(anchor), tuple(patterns)))
        automaton.make_automaton()
        return automaton

    def scan(self, text: str) -> list[LexiconMatch]:
        """All non-overlapping cue matches in ``text``, in text order."""
        if not self.patterns or not text:
            return []
        if self._automaton is None:
            self._automaton = self._build()
        folded = _fold(text)
        length = len(folded)
        candidates: list[tuple[int, int, int, _Pattern]] = []
        for last, (anchor_len, patterns) in self._automaton.iter(folded):
            start = last + 1 - anchor_len
            for pattern in patterns:
                found = pattern.regex.match(folded, start)
                if found is None:
                    continue
                end = found.end()
                begin = start
                if pattern.leading_wildcard:
                    while begin > 0 and _is_word(folded[begin - 1]):
                        begin -= 1
                if pattern.word_boundaries:
                    if begin > 0 and _is_word(folded[begin - 1]):
                        continue
                    if end < length and _is_word(folded[end]):
                        continue
                # Every entry that matches competes: several share an anchor
                # ("data", "data breach*"), and the longest must win whatever
                # the order they are listed in.
                candidates.append((begin, -(end - begin), pattern.order, pattern))
        candidates.sort(key=lambda c: (c[0], c[1], c[2]))
        matches: list[LexiconMatch] = []
        taken_until = -1
        for begin, negative_len, _, pattern in candidates:
            end = begin - negative_len
            if begin < taken_until:
                continue
            matches.append(LexiconMatch(pattern.group, begin, end, text[begin:end], pattern.weight, pattern.source))
            taken_until = end
        return matches


def _pattern_file(name: str, lang: str) -> Any:
    return resources.files(PATTERN_PACKAGE).joinpath(PATTERN_DIR, lang, f"{name}.json")


def parse_lexicon(data: Any, name: str, languages: tuple[str, ...], source: str) -> Lexicon:
    """Validate the decoded JSON of one pattern file and compile it."""
    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict):
        raise LexiconError(source, 'the file must hold an object with a "groups" object')
    boundaries = data.get("word_boundaries", True)
    if not isinstance(boundaries, bool):
        raise LexiconError(source, '"word_boundaries" must be true or false')
    lexicon = Lexicon(name, languages)
    seen: set[str] = set()
    for group_name, group in data["groups"].items():
        where = f"{source}, group {group_name!r}"
        for text, weight in _entries(group, where):
            spot = f"{where}, pattern {text!r}"
            if not isinstance(text, str) or not text.strip():
                raise LexiconError(spot, "empty pattern; remove the entry")
            anchor, regex, leading = _compile(text, spot)
            key = text.strip().lower()
            if key in seen:
                raise LexiconError(spot, "duplicate pattern; keep one entry")
            seen.add(key)
            lexicon.patterns.append(
                _Pattern(group_name, text, weight, anchor, regex, leading, boundaries, len(lexicon.patterns))
            )
    return lexicon


def load_patterns(name: str, lang: str) -> Lexicon:
    """Read and validate ``patterns/<lang>/<name>.json``; an empty lexicon if there is none."""
    resource = _pattern_file(name, lang)
    source = f"patterns/{lang}/{name}.json"
    if not resource.is_file():
        return Lexicon(name, (lang,))
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise LexiconError(source, f"not valid JSON ({error}); fix the syntax at that line") from error
    return parse_lexicon(data, name, (lang,), source)


def available_languages(name: str) -> list[str]:
    """Languages that ship a ``<name>.json`` pattern file, sorted."""
    root = resources.files(PATTERN_PACKAGE).joinpath(PATTERN_DIR)
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and d.joinpath(f"{name}.json").is_file())


def union(lexicons: list[Lexicon], name: str) -> Lexicon:
    """One lexicon holding every pattern of ``lexicons`` (each keeps its own boundary rule)."""
    merged = Lexicon(name, tuple(lang for lex in lexicons for lang in lex.languages))
    seen: set[tuple[str, str]] = set()
    for lexicon in lexicons:
        for pattern in lexicon.patterns:
            key = (pattern.group, pattern.source.strip().lower())
            if key in seen:
                continue
            seen.add(key)
            merged.patterns.append(
                _Pattern(
                    pattern.group,
                    pattern.source,
                    pattern.weight,
                    pattern.anchor,
                    pattern.regex,
                    pattern.leading_wildcard,
                    pattern.word_boundaries,
                    len(merged.patterns),
                )
            )
    return merged


class LexiconCache:
    """Loads lexicons lazily and keeps them for the life of this object.

    ``get(name, None)`` (language unknown) returns the union of every
    language's file: an unidentified article is scanned with all cues, which
    costs a larger automaton but never misses a language we have data for.
    A language without a file gets the same union, for the same reason.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str | None], Lexicon] = {}

    def get(self, name: str, lang: str | None) -> Lexicon:
        key = (name, lang)
        if key not in self._cache:
            lexicon = load_patterns(name, lang) if lang else Lexicon(name, ())
            if not lexicon:
                lexicon = self._union(name)
            self._cache[key] = lexicon
        return self._cache[key]

    def _union(self, name: str) -> Lexicon:
        key = (name, None)
        if key not in self._cache:
            # Straight from the files: going through get() would recurse for a
            # language whose file is empty.
            parts = [load_patterns(name, lang) for lang in available_languages(name)]
            self._cache[key] = union(parts, f"{name} (all languages)")
        return self._cache[key]
