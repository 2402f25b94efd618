"""Country names as MISP writes them ("Russian Federation", "China") -> ISO alpha-2."""

from __future__ import annotations

from functools import cache

import pycountry

# Names MISP uses that pycountry's fuzzy search gets wrong or does not know.
_CURATED = {
    "china": "CN",
    "russia": "RU",
    "russian federation": "RU",
    "iran": "IR",
    "iran (islamic republic of)": "IR",
    "north korea": "KP",
    "korea (democratic people's republic of)": "KP",
    "democratic people's republic of korea": "KP",
    "south korea": "KR",
    "korea (republic of)": "KR",
    "united states": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "vietnam": "VN",
    "viet nam": "VN",
    "taiwan": "TW",
    "syria": "SY",
    "palestine": "PS",
    "gaza": "PS",
    "european union": "EU",
}


@cache
def country_code(name: str) -> str | None:
    """ISO alpha-2 for a country name or code, or ``None`` when it names no single state."""
    key = name.strip().lower()
    if not key:
        return None
    if key in _CURATED:
        return _CURATED[key]
    if len(key) == 2 and key.isalpha():
        return key.upper() if pycountry.countries.get(alpha_2=key.upper()) else None
    try:
        found = pycountry.countries.lookup(key)
    except LookupError:
        return None
    return found.alpha_2
