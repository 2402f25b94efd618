"""Names in Latin script, so that ``Дмитрий Песков`` and ``Dmitry Peskov`` are one person.

How a language is written in Latin letters is data: ``patterns/<lang>/persons.json``
holds either a ``transliteration`` table (Cyrillic: letter -> Latin, with a few
word-final spellings such as ``-ий`` -> ``-y`` that English-language news uses)
or the name of a scheme (``"pinyin"`` for Chinese, read with pypinyin, whose
tables ship with the package). A language without either keeps its names as
they are: :func:`to_latin` then returns ``None`` and the record carries only
the original form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from cyberops.errors import CyberopsError


class TransliterationError(CyberopsError):
    """A persons.json transliteration entry is malformed; the message names the file."""


@dataclass(frozen=True)
class Transliterator:
    letters: dict[str, str] = field(default_factory=dict)
    # Word endings spelled apart from their letters ("ий" at a word end -> "y").
    endings: dict[str, str] = field(default_factory=dict)
    scheme: str | None = None

    def __bool__(self) -> bool:
        return bool(self.letters or self.scheme)

    def __call__(self, name: str) -> str | None:
        if self.scheme == "pinyin":
            return _pinyin(name)
        if not self.letters:
            return None
        words = [self._word(w) for w in name.split()]
        latin = " ".join(words)
        return latin if latin != name else None

    def _word(self, word: str) -> str:
        # Hyphenated names ("Жан-Ив") keep their hyphen; each part has its own ending.
        return "-".join(self._part(part) for part in word.split("-"))

    def _part(self, part: str) -> str:
        lowered = part.lower()
        tail = ""
        for ending in sorted(self.endings, key=len, reverse=True):
            if lowered.endswith(ending) and len(lowered) > len(ending):
                tail = self.endings[ending]
                part, lowered = part[: -len(ending)], lowered[: -len(ending)]
                break
        out = "".join(self.letters.get(ch, ch) for ch in lowered) + tail
        return out[:1].upper() + out[1:] if part[:1].isupper() else out


def _pinyin(name: str) -> str | None:
    from pypinyin import lazy_pinyin

    han = [ch for ch in name if "\u3400" <= ch <= "\u9fff"]
    if not han:
        return None
    syllables = lazy_pinyin("".join(han))
    # A Chinese name is a one-syllable surname and a given name written as one word.
    surname, given = syllables[0], "".join(syllables[1:])
    return f"{surname.capitalize()} {given.capitalize()}".strip()


@cache
def load_transliterator(lang: str | None) -> Transliterator:
    """The Latin-script spelling rules of ``lang`` (empty when the language has none)."""
    if not lang:
        return Transliterator()
    resource = resources.files("cyberops.nlp").joinpath(f"patterns/{lang}/persons.json")
    if not resource.is_file():
        return Transliterator()
    data = json.loads(resource.read_text("utf-8")).get("transliteration")
    if data is None:
        return Transliterator()
    if isinstance(data, str):
        if data != "pinyin":
            raise TransliterationError(f"patterns/{lang}/persons.json: unknown transliteration scheme {data!r}")
        return Transliterator(scheme=data)
    if not isinstance(data, dict) or not isinstance(data.get("letters"), dict):
        raise TransliterationError(
            f"patterns/{lang}/persons.json: 'transliteration' must be a scheme name or an object with 'letters'"
        )
    return Transliterator(
        letters={k.lower(): v for k, v in data["letters"].items()},
        endings={k.lower(): v for k, v in data.get("endings", {}).items()},
    )


def to_latin(name: str, lang: str | None) -> str | None:
    """``name`` in Latin script by the rules of ``lang``; ``None`` when there are none or nothing changes."""
    return load_transliterator(lang)(name)
