"""Language identification: which language an article is written in.

Two stages, cheap first (docs/decisions/dates-language-id.md has the figures):

1. **Script shortcut.** Most non-Latin scripts name their language outright
   within our set (Hangul is Korean, Hebrew letters are Hebrew), and a few
   letters separate the neighbours that share a script (Persian پچژگ against
   Arabic, Ukrainian іїєґ against Russian, kana for Japanese against Chinese).
   Counting characters costs microseconds, so lingua never sees these texts.
2. **lingua** (low-accuracy mode, restricted to the Latin-script languages of
   the set) for everything else. The detector is built on first use, never at
   import time, and lives on the :class:`LanguageIdentifier` instance.

A valid ``hint`` (the input's own ``language`` field) is trusted: the source
knows better than a statistical guess on a page full of furniture.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

#: The languages we tell apart; ISO 639-1 codes, lowercase.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "fr", "de", "es", "it", "pt", "ru", "uk", "zh", "ar",
    "fa", "ja", "ko", "nl", "pl", "tr", "he", "vi", "id", "sv",
)  # fmt: skip

#: Only this much of the text is looked at: enough for a confident guess,
#: and it keeps the cost per document flat whatever the article's length.
DEFAULT_MAX_CHARS = 2000
#: lingua's cost grows with the text; on 1,000 characters it was as accurate
#: as on 2,000 (news corpus, Latin-script languages) at 1.7 times the speed.
DEFAULT_LINGUA_CHARS = 1000

# Character classes per script. Letters only, so digits, punctuation and
# furniture in ASCII do not dilute a Chinese or Arabic page.
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]"),
    "hangul": re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "hebrew": re.compile(r"[\u0590-\u05ff]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]"),
}
# Letters that one language of a shared script uses and its neighbour does not.
_PERSIAN_LETTERS = re.compile(r"[پچژگ]")
_UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")

# A script must hold this share of the letters before it decides alone;
# below it the page is mixed (a Latin article quoting a Russian name) and
# lingua decides over the whole set.
_DOMINANT_SHARE = 0.5
# Japanese writes kanji with kana around them; Chinese pages carry a stray
# kana only by accident (a quoted name), hence a share rather than "any".
_KANA_SHARE_FOR_JAPANESE = 0.1
# Two distinct Persian letters in 2,000 characters of Arabic would be odd;
# one may be a loanword or a name.
_MIN_DISTINCT_LETTERS = 2


def _script_counts(sample: str) -> dict[str, int]:
    return {name: len(pattern.findall(sample)) for name, pattern in _SCRIPTS.items()}


def _by_script(sample: str) -> str | None:
    """The language the script alone decides, or None when lingua must."""
    counts = _script_counts(sample)
    letters = sum(counts.values())
    if letters == 0:
        return None
    script = max(counts, key=lambda name: counts[name])
    if script in ("han", "kana"):
        cjk = counts["han"] + counts["kana"]
        if cjk / letters < _DOMINANT_SHARE:
            return None
        return "ja" if counts["kana"] / cjk >= _KANA_SHARE_FOR_JAPANESE else "zh"
    if counts[script] / letters < _DOMINANT_SHARE or script == "latin":
        return None
    if script == "hangul":
        return "ko"
    if script == "hebrew":
        return "he"
    if script == "arabic":
        return "fa" if len(set(_PERSIAN_LETTERS.findall(sample))) >= _MIN_DISTINCT_LETTERS else "ar"
    if script == "cyrillic":
        return "uk" if len(set(_UKRAINIAN_LETTERS.findall(sample.lower()))) >= _MIN_DISTINCT_LETTERS else "ru"
    return None


@lru_cache(maxsize=256)
def _valid_hint(hint: str | None) -> str | None:
    """The hint as an ISO 639-1 code, or None if it is not one.

    Accepts region-tagged forms such as ``pt-BR`` or ``zh_Hant``: only the
    language part matters here.
    """
    if not hint:
        return None
    code = re.split(r"[-_]", hint.strip(), maxsplit=1)[0].lower()
    if len(code) != 2 or not code.isalpha():
        return None
    from lingua import IsoCode639_1

    return code if hasattr(IsoCode639_1, code.upper()) else None


class LanguageIdentifier:
    """Tell the language of a text, as a lowercase ISO 639-1 code.

    Build one per process (or per worker) and reuse it; the lingua models are
    loaded on the first text that needs them.
    """

    def __init__(
        self,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        *,
        max_chars: int = DEFAULT_MAX_CHARS,
        lingua_chars: int = DEFAULT_LINGUA_CHARS,
        low_accuracy: bool = True,
    ) -> None:
        self.languages = tuple(code.lower() for code in languages)
        self.max_chars = max_chars
        self.lingua_chars = min(lingua_chars, max_chars)
        self.low_accuracy = low_accuracy
        self._detector: Any = None

    def detect(self, text: str, hint: str | None = None) -> str | None:
        """The language of ``text``; a valid ``hint`` wins; None if unknown."""
        trusted = _valid_hint(hint)
        if trusted:
            return trusted
        sample = text[: self.max_chars]
        if not sample.strip():
            return None
        by_script = _by_script(sample)
        if by_script in self.languages:
            return by_script
        language = self._get_detector().detect_language_of(sample[: self.lingua_chars])
        if language is None:
            return None
        return language.iso_code_639_1.name.lower()

    def _get_detector(self) -> Any:
        if self._detector is None:
            self._detector = self._build_detector()
        return self._detector

    def _build_detector(self) -> Any:
        from lingua import IsoCode639_1, LanguageDetectorBuilder

        unknown = [code for code in self.languages if not hasattr(IsoCode639_1, code.upper())]
        if unknown:
            raise ValueError(
                f"lingua does not know the language codes {unknown}; "
                "pass ISO 639-1 codes that lingua supports (e.g. 'en', 'fr', 'zh')."
            )
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(
            *(getattr(IsoCode639_1, code.upper()) for code in self.languages)
        )
        if self.low_accuracy:
            builder = builder.with_low_accuracy_mode()
        return builder.build()
