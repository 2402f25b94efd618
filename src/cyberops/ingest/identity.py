"""Stable identities for documents: a content hash and a canonical URL.

The content hash lets the same article arriving twice (a feed and a file, two
fetches) get one id; it is taken over whitespace- and case-normalised text so
that re-flowed copies of a page still collide.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_WHITESPACE = re.compile(r"\s+")
# Tracking parameters: they identify the click, not the page.
_TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "mc_cid", "mc_eid", "igshid"}
)
_TRACKING_PREFIXES = ("utm_", "_hs", "pk_", "ga_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def content_id(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of the normalised ``text``."""
    normalised = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:16]


def canonical_url(url: str) -> str:
    """``url`` without tracking parameters, fragment or default port, host in lower case."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    query = urlencode(
        [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(key)]
    )
    return urlunsplit((scheme, host, parts.path or "/", query, ""))


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)
