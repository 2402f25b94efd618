"""The compiled knowledge base: entity and state lookup, and scanning text for mentions.

:meth:`KnowledgeBase.scan` runs on every article of a news stream, so its
per-character work is done in C: the text is folded by one array lookup over
its code points (``str.translate`` with a dict costs a dictionary lookup per
character, ten times as much), and Aho–Corasick finds the aliases. Python only
looks at the aliases found, and the cheapest test (what precedes the match)
comes first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection
from typing import Any

import ahocorasick
import numpy as np

from cyberops.errors import KnowledgeBaseError
from cyberops.kb.model import AliasTarget, KBEntry, KBMatch, StateTerm
from cyberops.kb.textnorm import has_variants, is_unspaced_script, is_word_char, unify_variants

_Cues = dict[str, list[int]]
# The fold table covers the Basic Multilingual Plane; code points above it stay as they are.
_BMP = 0x10000
# Below this code point no script is written without spaces (see textnorm.is_unspaced_script).
_FIRST_UNSPACED = "\u1100"


class KnowledgeBase:
    """Wraps the tables built by :func:`cyberops.kb.compile.compile_kb`; read-only and thread-safe."""

    def __init__(self, tables: dict[str, Any]) -> None:
        self._fold_table: dict[int, int] = tables["fold_table"]
        self._fold_array = _fold_array(self._fold_table)
        self._aliases = tables["aliases"]
        self._cues = tables["cues"]
        self._entries: dict[str, KBEntry] = tables["entries"]
        self._state_terms: dict[str, StateTerm] = tables["state_terms"]
        self._cue_window: int = tables["cue_window"]
        self._group_window: int = tables["group_window"]
        self._prefixes: frozenset[str] = tables["attached_prefixes"]
        #: sector -> its cue words in every language (stems end in ``*``)
        self.sectors: dict[str, list[str]] = tables["sectors"]
        # Automata of the aliases of some entity types only, built on first use (see most_mentions).
        self._typed_aliases: dict[frozenset[str], Any] = {}

    # -- lookup ----------------------------------------------------------------------------
    def entry(self, entry_id: str) -> KBEntry:
        try:
            return self._entries[entry_id]
        except KeyError:
            raise KnowledgeBaseError(
                f"no KB entry {entry_id!r}; ids come from KnowledgeBase.scan() or .entries()"
            ) from None

    def state_term(self, entry_id: str) -> StateTerm:
        try:
            return self._state_terms[entry_id]
        except KeyError:
            raise KnowledgeBaseError(f"no state term {entry_id!r}; pass the entry_id of a kind='state' match") from None

    def entries(self) -> list[KBEntry]:
        return list(self._entries.values())

    def fold(self, text: str) -> str:
        """The folded copy of ``text`` that matching runs on (same length)."""
        if not text:
            return text
        # surrogatepass: a lone surrogate (broken input) folds to itself instead of failing.
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        folded = self._fold_array[np.minimum(codes, _BMP - 1)]
        if codes.max() >= _BMP:
            folded = np.where(codes >= _BMP, codes, folded)
        return folded.tobytes().decode("utf-32-le", "surrogatepass")

    # -- scanning --------------------------------------------------------------------------
    def scan(self, text: str) -> list[KBMatch]:
        """Longest non-overlapping mentions of entities and states, with original offsets."""
        folded = self.fold(text)
        length = len(text)
        cues: _Cues | None = None
        found: list[tuple[int, int, float, int, int, AliasTarget]] = []
        for last, (size, targets) in self._aliases.iter(folded):
            start = last + 1 - size
            # Most hits sit inside a longer word ("us" in "house"); settle those without a call
            # when the script is spaced, and test the word's end once per hit, not per target.
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                if folded[start] < _FIRST_UNSPACED and text[start - 1] not in self._prefixes:
                    continue
                if not self._starts_word(text, folded, start):
                    continue
            end_here = last + 1
            whole_word = (
                end_here >= length
                or not (text[end_here].isalnum() or text[end_here] == "_")
                or is_unspaced_script(folded[last])
            )
            word_end: int | None = None
            best: tuple[float, int, AliasTarget, int] | None = None
            for target in targets:
                if target.stem:
                    if word_end is None:
                        word_end = self._word_end(text, end_here)
                    end = word_end
                elif whole_word:
                    end = end_here
                else:
                    continue
                if target.exact is not None and not _exact_match(text[start:end_here], target.exact):
                    continue
                if (target.common or target.context) and cues is None:
                    cues = self._cue_hits(text, folded)
                score = self._score(target, start, end, cues)
                if score is not None and (best is None or (score, -target.priority) > (best[0], -best[1])):
                    best = (score, target.priority, target, end)
            if best is not None:
                found.append((start, best[3], best[0], size, best[1], best[2]))
        return [
            KBMatch(start, end, text[start:end], target.entry_id, target.kind)
            for start, end, target in self._select(found)
            if target.kind != "block"
        ]

    def most_mentions(self, text: str, types: Collection[str], limit: int) -> int:
        """An upper bound, counted up to ``limit``, on the mentions of entities of ``types`` that
        :meth:`scan` would return.

        It looks only for the aliases of those types and checks only word boundaries and case,
        taking every context and common-word condition as met; so it cannot count fewer than
        ``scan`` finds, and costs a fraction of it: enough to show that an article names too few
        threat actors to matter without scanning it in full.
        """
        if limit <= 0:
            return 0
        wanted = frozenset(types)
        automaton = self._typed_aliases.get(wanted)
        if automaton is None:
            automaton = self._typed_aliases[wanted] = self._typed_automaton(wanted)
        if not len(automaton):
            return 0
        folded = self.fold(text)
        count = 0
        for last, (size, targets) in automaton.iter(folded):
            start = last + 1 - size
            before = text[start - 1] if start else " "
            # As in scan: a hit inside a word of a spaced script is settled without a call.
            if before.isalnum() or before == "_":
                may_start = folded[start] >= _FIRST_UNSPACED or before in self._prefixes
                if not (may_start and self._starts_word(text, folded, start)):
                    continue
            whole_word = self._ends_word(text, folded, last + 1)
            for target in targets:
                exact = target.exact
                if (target.stem or whole_word) and (exact is None or _exact_match(text[start : last + 1], exact)):
                    count += 1
                    break
            if count >= limit:
                break
        return count

    def _typed_automaton(self, types: frozenset[str]) -> Any:
        automaton = ahocorasick.Automaton()
        for key, (size, targets) in self._aliases.items():
            kept = tuple(t for t in targets if t.kind == "entity" and self._entries[t.entry_id].type in types)
            if kept:
                automaton.add_word(key, (size, kept))
        if len(automaton):
            automaton.make_automaton()
        return automaton

    def sector_cues(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, sector) for every sector cue word in ``text``."""
        folded = self.fold(text)
        hits = []
        for last, (size, cues) in self._cues.iter(folded):
            start = last + 1 - size
            if not self._starts_word(text, folded, start):
                continue
            for group, exact, stem in cues:
                if not group.startswith("sector:"):
                    continue
                if exact is not None and not _exact_match(text[start : last + 1], exact):
                    continue
                end = self._word_end(text, last + 1) if stem else last + 1
                if stem or self._ends_word(text, folded, end):
                    hits.append((start, end, group.removeprefix("sector:")))
                    break
        return hits

    def _score(self, target: AliasTarget, start: int, end: int, cues: _Cues | None) -> float | None:
        score = 1.0
        if target.context:
            present = bool(cues and cues.get(target.context))
            if target.required and not present:
                return None
            score += 1.0 if present else 0.0
        if target.common:
            assert cues is not None
            if target.common == 1:
                near = any(self._near(cues, g, start, end, self._cue_window) for g in ("cyber", "group"))
            else:  # a very ordinary word counts only right before a cue: "Silence hackers"
                near = any(self._follows(cues, g, end, self._group_window) for g in ("cyber", "group"))
            if not near:
                return None
            score += 0.5
        return score

    @staticmethod
    def _near(cues: _Cues, group: str, start: int, end: int, window: int) -> bool:
        positions = cues.get(group)
        if not positions:
            return False
        i = bisect_left(positions, start - window)
        # a cue inside the mention itself ("Hacker" in an alias) does not confirm it
        return any(p < start or p >= end for p in positions[i : bisect_left(positions, end + window)])

    @staticmethod
    def _follows(cues: _Cues, group: str, end: int, window: int) -> bool:
        positions = cues.get(group, [])
        i = bisect_left(positions, end)
        return i < len(positions) and positions[i] <= end + window

    def _cue_hits(self, text: str, folded: str) -> _Cues:
        hits: _Cues = defaultdict(list)
        for last, (size, cues) in self._cues.iter(folded):
            start = last + 1 - size
            if not self._starts_word(text, folded, start):
                continue
            for group, exact, stem in cues:
                if exact is not None and not _exact_match(text[start : last + 1], exact):
                    continue
                if stem or self._ends_word(text, folded, last + 1):
                    hits[group].append(start)
        return hits

    def _starts_word(self, text: str, folded: str, start: int) -> bool:
        if start == 0 or is_unspaced_script(folded[start]) or not is_word_char(text[start - 1]):
            return True
        # Arabic script joins one-letter clitics ("and", "with") to the next word
        return text[start - 1] in self._prefixes and (start == 1 or not is_word_char(text[start - 2]))

    @staticmethod
    def _ends_word(text: str, folded: str, end: int) -> bool:
        return end >= len(text) or is_unspaced_script(folded[end - 1]) or not is_word_char(text[end])

    @staticmethod
    def _word_end(text: str, end: int) -> int:
        while end < len(text) and is_word_char(text[end]):
            end += 1
        return end

    @staticmethod
    def _select(
        found: list[tuple[int, int, float, int, int, AliasTarget]],
    ) -> list[tuple[int, int, AliasTarget]]:
        # Longest span first; then the better score; then the longer alias, since a stem
        # ("росси*") may stretch to the same word end as a more specific one ("российск*").
        found.sort(key=lambda m: (-(m[1] - m[0]), m[0], -m[2], -m[3], m[4]))
        taken = bytearray(max((m[1] for m in found), default=0))
        chosen = []
        for start, end, _score, _size, _prio, target in found:
            if any(taken[start:end]):
                continue
            taken[start:end] = b"\x01" * (end - start)
            chosen.append((start, end, target))
        chosen.sort(key=lambda m: m[0])
        return chosen


def _exact_match(surface: str, exact: frozenset[str]) -> bool:
    """``surface`` is one of the exact-case forms, quote and dash variants aside ("Quai d’Orsay")."""
    return surface in exact or (has_variants(surface) and unify_variants(surface) in exact)


def _fold_array(table: dict[int, int]) -> np.ndarray:
    """``table`` as an array indexed by code point, for folding a whole text in one lookup."""
    array = np.arange(_BMP, dtype=np.uint32)
    if table:
        array[np.fromiter(table.keys(), dtype=np.int64)] = np.fromiter(table.values(), dtype=np.uint32)
    return array
