"""Length-preserving text folding and word-boundary tests.

Matching runs over a folded copy of the text (casefolded, accents stripped, quote and
dash variants unified). Every character folds to exactly one character so that an
offset in the folded copy is the same offset in the original text.
"""

from __future__ import annotations

import unicodedata

# Punctuation and space variants that news text mixes freely ("l’Élysée", "l'Élysée"). They are
# unified in the folded text and also, case kept, wherever an alias must match with exact case.
VARIANT_FOLDS = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u02bb": "'",
    "\u2032": "'",
    "\uff07": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u00a0": " ",
    "\u202f": " ",
}
_VARIANT_TABLE = str.maketrans(VARIANT_FOLDS)

# Variants that news text mixes freely; each maps to one character so lengths stay equal.
_EXTRA_FOLDS = {
    **VARIANT_FOLDS,
    "\u200c": " ",  # Persian zero-width non-joiner: some writers use it, some a space
    "\u064a": "\u06cc",  # Arabic yeh and Persian yeh
    "\u0649": "\u06cc",  # alef maksura
    "\u0643": "\u06a9",  # Arabic kaf and Persian keheh
    "\u0451": "\u0435",  # ё is written е in most Russian text
}


def unify_variants(text: str) -> str:
    """``text`` with quote, dash and space variants unified and case kept (same length)."""
    return text.translate(_VARIANT_TABLE)


def has_variants(text: str) -> bool:
    """Whether :func:`unify_variants` would change ``text`` (cheap for plain ASCII)."""
    return "`" in text if text.isascii() else text != text.translate(_VARIANT_TABLE)


def _fold_char(char: str) -> str:
    if char in _EXTRA_FOLDS:
        return _EXTRA_FOLDS[char]
    decomposed = unicodedata.normalize("NFD", char)
    # Strip accents only where the rest is combining marks: Hangul syllables also
    # decompose, into letters that must stay.
    if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
        char = decomposed[0]
        if char in _EXTRA_FOLDS:
            return _EXTRA_FOLDS[char]
    folded = char.casefold()
    if len(folded) != 1:
        folded = char.lower()
    return folded if len(folded) == 1 else char


def build_fold_table() -> dict[int, int]:
    """A ``str.translate`` table for the Basic Multilingual Plane (built once, stored in the artifact)."""
    table: dict[int, int] = {}
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        char = chr(code)
        folded = _fold_char(char)
        if folded != char:
            table[code] = ord(folded)
    return table


def is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def is_unspaced_script(char: str) -> bool:
    """Scripts written without spaces between words, or with particles glued on (Korean)."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xF900 <= code <= 0xFAFF
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x1100 <= code <= 0x11FF
    )
