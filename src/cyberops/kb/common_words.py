"""Is an alias an ordinary word in one of our languages?

Used at build time only: such aliases ("Cobalt", "Gold", "Silence", "Patchwork") are
matched only with exact case and with a cyber cue or group keyword nearby.
"""

from __future__ import annotations

import importlib

from wordfreq import zipf_frequency

LATIN_LANGS = ("en", "fr", "de", "es", "it", "pt")
CYRILLIC_LANGS = ("ru", "uk")
STOPWORD_LANGS = ("en", "fr", "de", "es", "it", "pt", "ru", "uk")


def _stop_words() -> frozenset[str]:
    words: set[str] = set()
    for lang in STOPWORD_LANGS:
        module = importlib.import_module(f"spacy.lang.{lang}.stop_words")
        words |= {w.casefold() for w in module.STOP_WORDS}
    return frozenset(words)


class CommonWords:
    """Judges single-word aliases by word frequency (wordfreq) and spaCy's stop-word lists."""

    def __init__(self, common_zipf: float, very_common_zipf: float) -> None:
        self.common_zipf = common_zipf
        self.very_common_zipf = very_common_zipf
        self.stop_words = _stop_words()

    def zipf(self, word: str) -> float:
        """Highest frequency (Zipf scale) of ``word`` among our languages of its script."""
        word = word.casefold()
        if word in self.stop_words:
            return 8.0
        if not word.replace("-", "").replace("'", "").isalpha():
            return 0.0  # digits or symbols ("APT28", "Win32") make a name, not a word
        langs = CYRILLIC_LANGS if any("\u0400" <= c <= "\u04ff" for c in word) else LATIN_LANGS
        return max(zipf_frequency(word, lang) for lang in langs)

    def commonness(self, alias: str) -> int:
        """0: a name; 1: every word is ordinary; 2: very ordinary; 3: a single stop word."""
        words = alias.split()
        lowest = min(self.zipf(w) for w in words)
        if len(words) == 1 and words[0].casefold() in self.stop_words:
            return 3
        return 2 if lowest >= self.very_common_zipf else 1 if lowest >= self.common_zipf else 0
