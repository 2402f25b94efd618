"""Name normalisation for entity matching: case, accents, quotes and spacing ignored.

RECORD.md compares actor names and person tokens "case and accents ignored";
the same name also arrives with curly or straight quotes ("NoName057(16)",
"Kim Jong‑un") and with doubled spaces from page furniture, so those are
folded too.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
    }
)
_SPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+")


def normalize_name(name: str) -> str:
    """Casefolded, accent-free, with one kind of quote and single spaces."""
    # NFKC first folds full-width and compatibility forms; NFKD then splits
    # accents off their letters so they can be dropped.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_QUOTES).casefold()
    return _SPACE.sub(" ", text).strip()


def name_tokens(name: str) -> list[str]:
    """Word tokens of the normalised name; hyphens and dots split ("Jong-un" -> "jong", "un")."""
    return _TOKEN.findall(normalize_name(name))
