"""Page furniture out of already-flattened text: menus, captions, banners.

A general line-level filter for text that was copied or scraped from a page
(the HTML is gone, only lines remain). It looks at what each line *is*, never
at what it says: how many words it has, whether it ends like a sentence,
whether it repeats an earlier line, whether it ends with a photo credit, and
where it sits (page header, body, page footer).

The page is read in three regions:

1. **header** — the lines before the first substantial sentence. The headline
   is chosen among its title-like lines (several words, no final period),
   preferring one that stands alone in its paragraph, is repeated later, and
   shares words with the body. Lines before the headline are dropped; lines
   between it and the body are kept only when long enough to be a standfirst.
2. **body** — kept, except captions with a credit, date/time lines, lines
   with no letters, repeats of an earlier line, one- or two-word lines and
   runs of two or more short non-sentence lines (share bars, bylines).
   A single short line between paragraphs is a subheading and is kept;
   every sentence of four words or more is kept.
3. **footer** — the trailing run of short lines (with the odd short sentence
   sandwiched between them, as in subscription blurbs) is dropped.

The cleaned text is the headline, then the kept lines, each line one
paragraph, paragraphs separated by one blank line.

Every article of a news stream passes through here, relevant or not, so each
test on a line is gated by a cheap necessary condition (a caption label needs
a colon near the end of the line, an agency credit must end it) before its
regular expression runs, and the body's words are gathered only when two
headline candidates must be told apart.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

import numpy as np

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w{4,}")
_STEM = 5
_TRAILING_CLOSERS = "\"'”’»」』】）)]›“"
_TERMINAL = tuple(".!?…。！？؟")
_NOT_TITLE_END = tuple(".:;,。：；，")
_SMALL_PAREN_TAIL = re.compile(r"\s*\((?:[^()\s]+\s?){1,3}\)$")
_DATE = re.compile(r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(?:19|20)\d\d\b|\b\d{1,2}[:h]\d\d\b")
_KEY_DROP = re.compile(r"[\W_]+")
# The same deletion for ASCII text, where str.translate is several times faster than a regex.
_ASCII_KEY_DROP = {code: None for code in range(128) if not chr(code).isalnum() and chr(code) != "\n"}
_COPYRIGHT = "©"

# Line-shape thresholds, in words (a CJK character counts as half a word).
_MIN_SENTENCE_WORDS = 4
_SUBSTANTIAL_SENTENCE_WORDS = 10
_LONG_LINE_WORDS = 25
_MIN_TITLE_WORDS = 3
_MAX_TITLE_WORDS = 30
_MIN_STANDFIRST_WORDS = 8
_MAX_CAPTION_WORDS = 80
_MAX_SANDWICHED_WORDS = 20
_MIN_REPEAT_KEY = 10
_MAX_DATELINE_WORDS = 8
_MAX_AGENCY_CAPTION_WORDS = 20
_MAX_TITLE_OVERLAP = 3


@dataclass(frozen=True)
class CleanText:
    title: str | None
    text: str


@dataclass
class _Line:
    text: str
    block: int
    words: int
    sentence: bool
    furniture: bool
    key: str
    lone: bool = False

    @property
    def substantial(self) -> bool:
        return (self.sentence and self.words >= _SUBSTANTIAL_SENTENCE_WORDS) or self.words >= _LONG_LINE_WORDS

    @property
    def weak(self) -> bool:
        """Not a sentence and not long: a title, a label, or prose without a final stop."""
        return not self.sentence and self.words < _LONG_LINE_WORDS

    @property
    def short(self) -> bool:
        """Too short to be prose without a final stop: menu items, bylines, subheadings."""
        return self.weak and self.words < _MIN_STANDFIRST_WORDS


def clean_text(raw: str) -> CleanText:
    """Drop page furniture from flattened page text; see the module docstring."""
    lines = _read_lines(raw)
    if not lines:
        return CleanText(None, "")
    start = next((i for i, line in enumerate(lines) if line.substantial and not line.furniture), None)
    if start is None:
        body = [line.text for line in lines if not line.furniture and line.words >= _MIN_TITLE_WORDS]
        return CleanText(None, "\n\n".join(body))
    end = _footer_start(lines, start)
    title_at = _pick_title(lines[:start], lines[start:end])
    kept: list[str] = []
    if title_at is not None:
        kept.append(lines[title_at].text)
        kept.extend(
            line.text
            for line in lines[title_at + 1 : start]
            if not line.furniture and line.words >= _MIN_STANDFIRST_WORDS
        )
    else:
        kept.extend(line.text for line in lines[:start] if not line.furniture and line.substantial)
    kept.extend(_body_lines(lines[start:end]))
    title = lines[title_at].text if title_at is not None else None
    return CleanText(title, "\n\n".join(kept))


def _read_lines(raw: str) -> list[_Line]:
    rules = _credit_rules()
    lines: list[_Line] = []
    seen: set[str] = set()
    block = 0
    for text, key in zip(raw.split("\n"), _line_keys(raw), strict=True):
        text = text.strip()
        if not text:
            block += 1
            continue
        repeat = len(key) >= _MIN_REPEAT_KEY and key in seen
        seen.add(key)
        words = _word_count(text)
        sentence = _ends_like_sentence(text) and words >= _MIN_SENTENCE_WORDS
        furniture = (
            repeat
            or not any(ch.isalpha() for ch in text)
            or (not sentence and words <= _MAX_DATELINE_WORDS and bool(_DATE.search(text)))
            or any(words <= rule.max_words and rule.may_match(text) and rule.pattern.search(text) for rule in rules)
            or (words <= 12 and _COPYRIGHT in text)
        )
        lines.append(_Line(text, block, words, sentence, furniture, key))
    sizes = Counter(line.block for line in lines)
    for line in lines:
        line.lone = sizes[line.block] == 1
    return lines


def _line_keys(raw: str) -> list[str]:
    """For each line of ``raw.split("\n")``: its letters and digits, casefolded (what a repeat must share).

    The whole page is filtered at once, keeping the newlines: one array operation
    instead of a regex substitution per line (casefolding is per character, so
    doing it on the whole page gives the same keys).
    """
    if raw.isascii():
        return raw.translate(_ASCII_KEY_DROP).lower().split("\n")
    codes = np.frombuffer(raw.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if codes.max() >= len(_kept_in_keys()):
        return [_KEY_DROP.sub("", line).casefold() for line in raw.split("\n")]
    kept = codes[_kept_in_keys()[codes]]
    return kept.tobytes().decode("utf-32-le", "surrogatepass").casefold().split("\n")


@lru_cache(maxsize=1)
def _kept_in_keys() -> np.ndarray:
    """Which code points of the Basic Multilingual Plane a line key keeps: letters, digits and the newline."""
    kept = np.fromiter((chr(code).isalnum() for code in range(0x10000)), dtype=bool, count=0x10000)
    kept[ord("\n")] = True
    return kept


def _word_count(text: str) -> int:
    if text.isascii() or not _CJK.search(text):
        return len(text.split())
    cjk = len(_CJK.findall(text))
    return len(_CJK.sub(" ", text).split()) + cjk // 2


def _ends_like_sentence(text: str) -> bool:
    if text.endswith(")"):
        text = _SMALL_PAREN_TAIL.sub("", text)
    return text.rstrip(_TRAILING_CLOSERS + " ").endswith(_TERMINAL)


def _footer_start(lines: list[_Line], start: int) -> int:
    """Index where the trailing run of short lines begins (``len(lines)`` if none).

    A short sentence between two short lines joins the run only when the
    pattern repeats (a subscription blurb alternates labels and one-line
    pitches); a lone one is the body's last sentence.
    """
    end = len(lines)
    sandwiched: list[int] = []
    for i in range(len(lines) - 1, start, -1):
        line = lines[i]
        if line.short or line.furniture:
            end = i
            continue
        previous = lines[i - 1]
        if end == i + 1 and (previous.short or previous.furniture) and line.words < _MAX_SANDWICHED_WORDS:
            sandwiched.append(i)
            end = i
            continue
        break
    if len(sandwiched) == 1:
        end = sandwiched[0] + 1
    return end


def _body_lines(body: list[_Line]) -> list[str]:
    kept = []
    for i, line in enumerate(body):
        if line.furniture:
            continue
        if line.short:
            in_run = (i > 0 and body[i - 1].short) or (i + 1 < len(body) and body[i + 1].short)
            if line.words <= 2 or in_run:
                continue
        kept.append(line.text)
    return kept


def _pick_title(header: list[_Line], body: list[_Line]) -> int | None:
    candidates = [i for i, line in enumerate(header) if _is_title_like(line)]
    if len(candidates) <= 1:
        # Nothing to choose between: the body's words would only break a tie that is not there.
        return candidates[0] if candidates else None
    body_words = set().union(*(_keywords(line.text) for line in body)) if body else set()
    later_keys = {line.key for line in body}
    best, best_score = None, -1
    for i in candidates:
        line = header[i]
        repeated = line.key in later_keys or any(other.key == line.key for other in header[i + 1 :])
        # Overlap is capped so that a long standfirst does not beat the headline above it.
        overlap = min(len(_keywords(line.text) & body_words), _MAX_TITLE_OVERLAP)
        score = overlap + 2 * line.lone + 3 * repeated
        if score > best_score:
            best, best_score = i, score
    return best


def _is_title_like(line: _Line) -> bool:
    return (
        not line.furniture
        and _MIN_TITLE_WORDS <= line.words <= _MAX_TITLE_WORDS
        and not line.text.endswith(_NOT_TITLE_END)
    )


def _keywords(text: str) -> set[str]:
    # A five-letter prefix is a crude stem: "hackers" meets "hacked", "Sanktionen" meets "sanktioniert".
    words = {word.casefold()[:_STEM] for word in _WORD.findall(_CJK.sub(" ", text))}
    cjk = "".join(_CJK.findall(text))
    return words | {cjk[i : i + 2] for i in range(len(cjk) - 1)}


@dataclass(frozen=True)
class _CreditRule:
    """A caption or credit pattern, the longest line it may end, and a cheap test
    that must hold for the pattern to match (the patterns are anchored at the end
    of the line, and a search for them would try every position)."""

    pattern: re.Pattern[str]
    max_words: int
    may_match: Callable[[str], bool]


@lru_cache(maxsize=1)
def _credit_rules() -> tuple[_CreditRule, ...]:
    """Caption and credit patterns with the longest line each may end, from ``data/furniture.json``.

    An agency name alone is a weak sign (news paragraphs end with "… EFE"
    too), so it only marks short lines; a "Photo:" label marks any caption.
    """
    data = json.loads(files("cyberops.ingest").joinpath("data/furniture.json").read_text(encoding="utf-8"))
    labels = "|".join(re.escape(label) for label in sorted(data["credit_labels"], key=len, reverse=True))
    agency_names = tuple(sorted(data["agencies"], key=len, reverse=True))
    agencies = "|".join(re.escape(name) for name in agency_names)
    suffixes = "|".join(re.escape(mark) for mark in data["credit_suffixes"])
    suffix_reach = 20 + max((len(mark) for mark in data["credit_suffixes"]), default=0)
    suffix_rule = re.compile(rf"(?:{suffixes})\S{{0,20}}$")
    return (
        # "… mutuels. Ph : AFP", "Imagem: iStock", "(Foto: HANNIBAL HANSCHKE/REUTERS)"
        # The colon is the line's last one, at most 62 characters from its end.
        _CreditRule(
            re.compile(rf"(?:^|[.!?…»”\"')]\s*|\s)\(?(?:{labels})\s?:\s?[^.!?:]{{1,60}}\)?$"),
            _MAX_CAPTION_WORDS,
            lambda text: text.rfind(":", len(text) - 63) >= 0,
        ),
        # "… at the Kremlin. AP", "… le 16 décembre 2014. (AFP)", a bare "(Reuters)"
        _CreditRule(
            re.compile(rf"(?:^|[.!?…»”\"]\s+)\(?(?:{agencies})\)?$"),
            _MAX_AGENCY_CAPTION_WORDS,
            lambda text: text.removesuffix(")").endswith(agency_names),
        ),
        # "外交部发言人毛宁。图片来自外交部"
        # A match starts within suffix_reach characters of the end, so only the tail is searched.
        _CreditRule(
            suffix_rule,
            _MAX_CAPTION_WORDS,
            lambda text: suffix_rule.search(text, max(0, len(text) - suffix_reach)) is not None,
        ),
    )
