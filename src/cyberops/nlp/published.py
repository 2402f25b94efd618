"""The publication date of an article, or None when the page does not establish it.

RECORD.md: dates are ISO or null, and "a page header that shows the day of
viewing is not a publication date". Precision comes first: a wrong date is
worse than no date, so each source below must give a *full* date (day,
month and year) and anything partial ("December 21", "2021-07", "/2020/01/")
is refused. Sources, strongest first:

1. ``metadata_date`` from the HTML metadata (htmldate) when the caller has it;
2. a **cue line**: a publication cue ("Published", "Publié le", "Stand:",
   "发布时间", ...) followed closely by a date; published beats updated;
3. the **URL path**: ``/2016/06/14/``, ``/20180405/``, ``/202508/29/``,
   ``/11/05/2021/``;
4. a **date line** near the top (a short line that is mostly a date, or an
   agency dateline "Paris | AFP | lundi 11/04/2022 - ..."), a dispatch stamp
   (【大紀元2016年02月05日訊】), or a credit at the very end ("(APA, 24.3.2018)").

A short line near the top holding only a weekday and a date, with no time
and no cue, is what a site prints as *today* in its header; it is refused.

Cue words, weekday names and the order of numeric dates are data:
``patterns/<lang>/dates.json``.

This runs on every article of a news stream, relevant or not, so it must cost
a scan: a line is searched for cues and dates only when it holds something
that can be part of a full date (four digits in a row, or 1.2.34), month
names are looked for only just before a plausible year, and dateparser (slow,
but it knows month names in every language) reads each month word once per
language: the answer is cached on the date with its numbers replaced.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal
from urllib.parse import unquote, urlsplit

# How far into the page a date line may stand, and how many closing lines may
# hold a credit: beyond that a date is the body talking about some event.
_TOP_LINES = 12
_BOTTOM_LINES = 2
# A cue must be followed closely by its date ("Publié par DK NEWS le 31-05-2020").
_CUE_REACH = 25
# A cue line is page furniture: the cue opens the line, or the line is short.
# A cue word in the middle of a paragraph ("في تاريخ 14 يوليو 2015") is prose.
_CUE_LINE_LENGTH = 160
# A "date line" is short once the date and time are taken out (outlet, city, agency).
_DATE_LINE_REST = 30
# An agency dateline puts its date within the first characters of the line.
_DATELINE_PREFIX = 40
_DATELINE_WORDS = 6
# "16 февраля 2020 года" alone is a date line; "Тулси Габбард, 12 февраля 2020
# года" is a photo caption. Dates written with month names allow only this
# much other text (a "года", a "г.") unless a time stands with them.
_WORDED_DATE_REST = 6
# Plausible publication years for online news.
_FIRST_YEAR = 1990
# A date written with a month name ends this close after its first character
# ("15 de septiembre de 2018" is 23); the worded patterns look no further back
# from a year than this.
_WORDED_REACH = 40
# Stand-ins for the day and the year when dateparser reads a month word: a day
# above 12 cannot be taken for a month, and the year is valid in every calendar.
_PROBE_DAY, _PROBE_YEAR = "15", "2001"

# Every full date below holds four digits in a row or a 1.2.34-shaped number:
# lines without one are skipped before any costlier pattern runs.
# (Written to start with \d, so that the regex engine can skip ahead to digits.)
_MAY_HOLD_DATE = re.compile(r"\d(?:\d{3}|[./-]\d{1,2}[./-]\d\d)")
# The year that closes a date written with a month name ("5 May 2004", "Jun 06, 2017").
_WORDED_YEAR = re.compile(r"\s(\d{4})(?!\d)")
_SENTENCE_END = (".", "!", "?", "。")
_TIME = re.compile(r"\d{1,2}\s*[:h]\s*\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?|Uhr|h|ч)?")
# Not inside a reference number such as "2-6-27/2016-04-06-25".
_ISO = re.compile(r"(?<![\d/-])(\d{4})-(\d{1,2})-(\d{1,2})(?!\d|-\d)")
_CJK = re.compile(r"(?<!\d)(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일号號]?")
_NUMERIC = re.compile(r"(?<![\d./-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[./-]\d)")
_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(\d{1,2})(?:\.|er|º|°)?\s+(?:de\s+)?([^\W\d_]{3,}\.?),?\s+(?:de\s+)?(\d{4})(?!\d)"
)
_MONTH_DAY_YEAR = re.compile(r"(?<!\w)([^\W\d_]{3,}\.?)\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_DATELINE_DASH = re.compile(r"[-–—]+\s")
_TRAILING_PARENTHESIS = re.compile(r"\(([^()]{4,80})\)\s*$")

_URL_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # /2016/06/14/, /2015-01/19/, /202508/29/, /2023-02-10/
    (re.compile(r"(?:^|/)(\d{4})[-/]?(\d{2})[-/](\d{1,2})(?=$|[/_.-])"), "YMD"),
    # /20180405/, -20180906-
    (re.compile(r"(?:^|[/_-])(\d{4})(\d{2})(\d{2})(?=$|[/_.-])"), "YMD"),
    # /11/05/2021/
    (re.compile(r"(?:^|/)(\d{1,2})/(\d{1,2})/(\d{4})(?=$|/)"), "NUMERIC"),
)


@dataclass(frozen=True)
class PublishedDate:
    """A publication date, where it came from, and the text that shows it."""

    date: str  # YYYY-MM-DD
    source: Literal["metadata", "text", "url"]
    evidence: str


@dataclass(frozen=True)
class DateCues:
    """The per-language data of ``patterns/<lang>/dates.json``, merged or not."""

    published: tuple[str, ...]
    updated: tuple[str, ...]
    weekdays: tuple[str, ...]
    dispatch_markers: tuple[str, ...]
    numeric_order: str | None


def find_published(
    raw_text: str,
    url: str | None,
    metadata_date: str | None = None,
    lang: str | None = None,
) -> PublishedDate | None:
    """The publication date of a page, or None if the page does not establish it.

    ``raw_text`` is the page text as obtained (furniture included: date lines
    and credit lines are furniture too); ``lang`` selects how ambiguous
    numeric dates such as 03/10/2019 are read and which language dateparser
    tries for month names.
    """
    if metadata_date:
        iso = _full_iso(metadata_date.strip()[:10])
        if iso:
            return PublishedDate(iso, "metadata", metadata_date)
    lines = [line.strip() for line in raw_text.splitlines() if line.strip()]
    found = _from_cue_lines(lines, lang)
    if found:
        return found
    found = _from_url(url, lang)
    if found:
        return found
    return _from_date_lines(lines, lang)


# -- 2. cue lines -------------------------------------------------------------


def _from_cue_lines(lines: list[str], lang: str | None) -> PublishedDate | None:
    cues = merged_cues()
    # A cue counts only when a full date follows within the line, or on the next
    # short line: lines where neither can hold a date are never searched for cues.
    dated = [bool(_MAY_HOLD_DATE.search(line)) for line in lines]
    candidates = [
        index
        for index, line in enumerate(lines)
        if dated[index] or (index + 1 < len(lines) and dated[index + 1] and len(lines[index + 1]) <= 40)
    ]
    if not candidates:
        return None
    for kind in (cues.published, cues.updated):
        pattern = _cue_pattern(kind)
        for index in candidates:
            line = lines[index]
            for cue in _cues_in(pattern, line):
                if not _is_cue_line(line, cue.start()):
                    break
                after = line[cue.end() : cue.end() + _CUE_REACH + 30]
                # "Published on" alone on its line, the date on the next one.
                if not after.strip() and index + 1 < len(lines) and len(lines[index + 1]) <= 40:
                    after = lines[index + 1]
                for start, _end, iso, _worded in _full_dates(after, lang):
                    if start <= _CUE_REACH:
                        return PublishedDate(iso, "text", line)
    return None


def _cues_in(pattern: re.Pattern[str], line: str) -> Iterator[re.Match[str]]:
    """The cues of ``line`` in order; in prose only one opening the line can count.

    Every cue word starts with a letter, so in a long line or a sentence (where a
    cue after other letters is prose, see :func:`_is_cue_line`) the first letter
    is the only place to look, and the rest of the line is not searched.
    """
    if len(line) <= _CUE_LINE_LENGTH and not line.rstrip().endswith(_SENTENCE_END):
        yield from pattern.finditer(line)
        return
    first_letter = next((i for i, char in enumerate(line) if char.isalpha()), None)
    if first_letter is not None:
        cue = pattern.match(line, first_letter)
        if cue:
            yield cue


def _is_cue_line(line: str, cue_start: int) -> bool:
    """Furniture, not prose: the line opens with the cue, or is short and is no
    sentence ("Указ ... опубликован в четверг, 27 июля 2017 года, на сайте.")."""
    if not any(char.isalpha() for char in line[:cue_start]):
        return True
    return len(line) <= _CUE_LINE_LENGTH and not line.rstrip().endswith(_SENTENCE_END)


# -- 3. URL ---------------------------------------------------------------------


def _from_url(url: str | None, lang: str | None) -> PublishedDate | None:
    if not url:
        return None
    path = unquote(urlsplit(url).path)
    for pattern, order in _URL_PATTERNS:
        for match in pattern.finditer(path):
            if order == "YMD":
                iso = _iso_from_parts(match[1], match[2], match[3])
            else:
                iso = _iso_from_numeric(match[1], match[2], match[3], "/", lang)
            if iso:
                return PublishedDate(iso, "url", match.group(0).strip("/_-"))
    return None


# -- 4. date lines, datelines, dispatch stamps, credits ---------------------------


def _from_date_lines(lines: list[str], lang: str | None) -> PublishedDate | None:
    cues = merged_cues()
    weekdays = _word_pattern(cues.weekdays)
    for line in lines[:_TOP_LINES]:
        for start, end, iso, worded in _full_dates(line, lang):
            rest = line[:start] + line[end:]
            has_time = bool(_TIME.search(line[end:]))
            rest = _TIME.sub("", rest, count=1).strip(" ,.|-–—:()[]【】")
            limit = _WORDED_DATE_REST if worded and not has_time else _DATE_LINE_REST
            if len(rest) <= limit:
                # The site's "today" in the header: weekday + date, no time, no cue.
                if weekdays.search(line) and not has_time:
                    continue
                return PublishedDate(iso, "text", line)
            if _is_dateline_prefix(line[:start]) and _ends_dateline(line[end:]):
                return PublishedDate(iso, "text", line)
            if _ends_dispatch(line[end:], cues.dispatch_markers):
                return PublishedDate(iso, "text", line)
    for line in lines[-_BOTTOM_LINES:]:
        credit = _TRAILING_PARENTHESIS.search(line)
        if credit:
            for _start, _end, iso, _worded in _full_dates(credit[1], lang):
                return PublishedDate(iso, "text", credit.group(0))
    return None


def _is_dateline_prefix(before: str) -> bool:
    """A place and an agency ("Paris, France | AFP | lundi"), not a sentence."""
    return len(before) <= _DATELINE_PREFIX and len(before.split()) <= _DATELINE_WORDS


def _ends_dateline(after: str) -> bool:
    """Whether the date is followed (after a time) by the dateline's dash."""
    after = after.lstrip()
    time = _TIME.match(after)
    if time:
        after = after[time.end() :].lstrip()
    # A spaced dash: "lundi 11/04/2022 - La France"; "2011年5月29日-6月3日" is a range.
    return bool(_DATELINE_DASH.match(after))


def _ends_dispatch(after: str, markers: tuple[str, ...]) -> bool:
    return bool(markers) and after.lstrip()[:1] in markers


# -- full dates inside a short string ---------------------------------------------------


def _full_dates(text: str, lang: str | None) -> Iterator[tuple[int, int, str, bool]]:
    """(start, end, ISO date, written with a month name) of every complete
    date in ``text``, in text order."""
    first = _MAY_HOLD_DATE.search(text)
    if first is None:
        return
    # No numeric date starts more than one character before the first digits
    # that may hold one, so the costlier patterns start searching there.
    origin = max(0, first.start() - 1)
    found: list[tuple[int, int, str, bool]] = []
    for pattern in (_ISO, _CJK) if "年" in text or "년" in text else (_ISO,):
        for match in pattern.finditer(text, origin):
            iso = _iso_from_parts(match[1], match[2], match[3])
            if iso:
                found.append((match.start(), match.end(), iso, False))
    for match in _NUMERIC.finditer(text, origin):
        iso = _iso_from_numeric(match[1], match[3], match[4], match[2], lang)
        if iso:
            found.append((match.start(), match.end(), iso, False))
    found.extend(_worded_dates(text, lang))
    found.sort()
    # One date written two ways overlaps itself; keep the first reading.
    last_end = -1
    for start, end, iso, worded in found:
        if start >= last_end:
            yield start, end, iso, worded
            last_end = end


def _worded_dates(text: str, lang: str | None) -> set[tuple[int, int, str, bool]]:
    """Dates written with a month name, looked for only just before a plausible year."""
    found: set[tuple[int, int, str, bool]] = set()
    last_year = dt.date.today().year + 1
    for year_match in _WORDED_YEAR.finditer(text):
        if not _FIRST_YEAR <= int(year_match[1]) <= last_year:
            continue
        window = (max(0, year_match.start() - _WORDED_REACH), year_match.end())
        for pattern, order in ((_DAY_MONTH_YEAR, "DMY"), (_MONTH_DAY_YEAR, "MDY")):
            for match in pattern.finditer(text, *window):
                iso = _read_worded(match, order, lang)
                if iso:
                    found.add((match.start(), match.end(), iso, True))
    return found


def _read_worded(match: re.Match[str], order: str, lang: str | None) -> str | None:
    day_group = 1 if order == "DMY" else 2
    day, year = match[day_group], match[3]
    if not _FIRST_YEAR <= int(year) <= dt.date.today().year + 1:
        return None
    # The month word is what dateparser is needed for; the numbers are known.
    # Asking with stand-in numbers lets one answer serve every date of that month.
    start = match.start()
    (day_start, day_end), (year_start, year_end) = match.span(day_group), match.span(3)
    text = match.string
    probe = text[start:day_start] + _PROBE_DAY + text[day_end:year_start] + _PROBE_YEAR + text[year_end : match.end()]
    month = _month_of(probe, order, lang)
    return _iso_from_parts(year, str(month), day) if month else None


def _iso_from_parts(year: str, month: str, day: str) -> str | None:
    year_number = int(year)
    if not _FIRST_YEAR <= year_number <= dt.date.today().year + 1:
        return None
    try:
        return dt.date(year_number, int(month), int(day)).isoformat()
    except ValueError:
        return None


def _iso_from_numeric(first: str, second: str, year: str, separator: str, lang: str | None) -> str | None:
    """An all-numeric date such as 03/10/2019, 24.3.2018 or 13.07.23.

    Dotted dates are day-first wherever they are written; slashes and dashes
    follow the language's ``numeric_order`` and, without one, are read only
    when one number is above 12 and so cannot be a month.
    """
    if len(year) == 2:
        if separator != ".":
            return None  # 10/04/22 is too ambiguous to be worth a guess
        century = 2000 if int(year) <= dt.date.today().year % 100 + 1 else 1900
        year = str(century + int(year))
    a, b = int(first), int(second)
    if separator == "." or a > 12 >= b:
        order = "DMY"
    elif b > 12 >= a:
        order = "MDY"
    else:
        order = (language_cues(lang).numeric_order or "") if lang else ""
    if order == "DMY":
        return _iso_from_parts(year, second, first)
    if order == "MDY":
        return _iso_from_parts(year, first, second)
    return None


@lru_cache(maxsize=4096)
def _month_of(probe: str, order: str, lang: str | None) -> int | None:
    """The month dateparser reads in ``probe`` ("15 février 2001"), or None.

    The regex already fixed day and year; dateparser must agree with both, so
    a word that only looks like a month ("15 hackers 2001") is refused.
    """
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": order, "PREFER_LOCALE_DATE_ORDER": False}
    languages = [lang] if lang and lang in _dateparser_languages() else None
    try:
        parsed = dateparser.parse(probe, languages=languages, settings=settings)
    except (ValueError, OverflowError):
        return None
    if parsed is None or parsed.day != int(_PROBE_DAY) or parsed.year != int(_PROBE_YEAR):
        return None
    return parsed.month


def prepare(lang: str | None) -> None:
    """Load dateparser and its data for ``lang`` now rather than on the first worded date.

    Importing dateparser and reading one language's data cost tens of milliseconds,
    once per process and language; a benchmark or a worker pays it while loading.
    """
    for order in ("DMY", "MDY"):
        _month_of(f"{_PROBE_DAY} 1 {_PROBE_YEAR}", order, lang)


@cache
def _dateparser_languages() -> frozenset[str]:
    from dateparser.languages.loader import default_loader

    return frozenset(default_loader.get_locale_map())


def _full_iso(value: str) -> str | None:
    match = _ISO.fullmatch(value)
    return _iso_from_parts(match[1], match[2], match[3]) if match else None


# -- data: patterns/<lang>/dates.json ----------------------------------------------------


@cache
def _all_language_data() -> dict[str, dict[str, object]]:
    """Every ``patterns/<lang>/dates.json``, validated, keyed by language."""
    root = resources.files("cyberops.nlp") / "patterns"
    data: dict[str, dict[str, object]] = {}
    for folder in root.iterdir():
        path = folder / "dates.json"
        if not path.is_file():
            continue
        name = f"cyberops/nlp/patterns/{folder.name}/dates.json"
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ValueError(f"{name} is not valid JSON ({error}); fix the file or remove it.") from error
        _validate(name, entry)
        data[folder.name] = entry
    return data


def _validate(name: str, entry: object) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"{name} must hold a JSON object with keys such as 'published_cues'.")
    for key in ("published_cues", "updated_cues", "weekdays", "dispatch_markers"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise ValueError(f"{name}: '{key}' must be a list of non-empty strings.")
    if entry.get("numeric_order") not in (None, "DMY", "MDY"):
        raise ValueError(f'{name}: \'numeric_order\' must be "DMY", "MDY" or absent.')


def _cues_from(entries: list[dict[str, object]], numeric_order: str | None) -> DateCues:
    def collect(key: str) -> tuple[str, ...]:
        words = {str(word).lower() for entry in entries for word in entry.get(key, [])}  # type: ignore[attr-defined]
        # Longest first, so "mis à jour" is tried before a shorter cue inside it.
        return tuple(sorted(words, key=lambda word: (-len(word), word)))

    return DateCues(
        published=collect("published_cues"),
        updated=collect("updated_cues"),
        weekdays=collect("weekdays"),
        dispatch_markers=collect("dispatch_markers"),
        numeric_order=numeric_order,
    )


@cache
def merged_cues() -> DateCues:
    """Cues of all languages at once: furniture is often in another language
    than the article ("Published on" over a French text), and a cue must be
    followed by a full date anyway."""
    return _cues_from(list(_all_language_data().values()), None)


@cache
def language_cues(lang: str) -> DateCues:
    """The cues of one language (empty when no ``dates.json`` exists for it)."""
    entry = _all_language_data().get(lang.lower())
    if entry is None:
        return _cues_from([], None)
    order = entry.get("numeric_order")
    return _cues_from([entry], order if isinstance(order, str) else None)


@lru_cache(maxsize=8)
def _cue_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # Whole words ("Unpublished", "STANDARD" are no cues), but a digit may follow
    # directly: Chinese pages write "发布时间2024-05-08".
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?![^\W\d_])", re.IGNORECASE)


@lru_cache(maxsize=8)
def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.IGNORECASE)
