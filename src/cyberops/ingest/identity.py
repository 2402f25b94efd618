"""Stable identities for documents: a content hash and a canonical URL.

The content hash lets the same article arriving twice (a feed and a file, two
fetches) get one id; it is taken over whitespace- and case-normalised text so
that re-flowed copies of a page still collide.

The canonical URL lets the same page reached under two addresses (tracking
parameters, a default port, a fragment, parameters in another order) get one
identity; :func:`url_id` hashes it into an id of the same shape as
:func:`content_id`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, quote, unquote_to_bytes, urlencode, urlsplit, urlunsplit

_WHITESPACE = re.compile(r"\s+")
# Invisible characters that renderers and CMSs insert or drop at will (soft hyphen, zero-width space
# and joiners, word joiner, BOM): two copies of one text must not differ by them.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# Tracking parameters: they identify the click, the campaign or the share, not the page.
_TRACKING_PARAMS = frozenset(
    {
        # ad click ids
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "li_fat_id", "igshid", "epik", "rb_clickid", "s_cid", "_ga", "_gl",
        # mailing tools (Mailchimp, Marketo, Vero, Oracle)
        "mc_cid", "mc_eid", "mkt_tok", "vero_id", "vero_conv", "oly_anon_id", "oly_enc_id",
        # referral and share markers
        "ref", "ref_src", "ref_url", "referrer", "share", "sr_share", "smid", "smtyp",
        # news sites' campaign markers (AT Internet's xtor, MSN's ocid, the Guardian's CMP, Taboola)
        "xtor", "ocid", "cmp", "cmpid", "taid", "tbref", "ito", "spm", "__twitter_impression",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "_hs", "pk_", "ga_", "at_", "ns_", "hsa_", "mtm_", "matomo_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters a path segment may hold unescaped (RFC 3986 sub-delims, ':' and '@'); unreserved ones always are.
_SEGMENT_SAFE = "!$&'()*+,;=:@"
_QUERY_SAFE = "!$&'()*+,;=:@/?%"


def content_id(text: str) -> str:
    """The first 16 hex digits of the SHA-256 of the normalised ``text``.

    Normalised: Unicode NFC, invisible characters removed, runs of whitespace
    made one space, case folded.
    """
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    normalised = _WHITESPACE.sub(" ", text).strip().casefold()
    return _hash16(normalised)


def url_id(url: str) -> str:
    """The first 16 hex digits of the SHA-256 of :func:`canonical_url` of ``url``."""
    return _hash16(canonical_url(url))


def canonical_url(url: str) -> str:
    """One spelling for every address of the same page.

    Scheme and host in lower case (a trailing dot dropped), default port,
    user info and fragment removed, dot segments resolved, needless
    percent-escapes decoded, tracking parameters removed and the remaining
    query sorted. Anything that is not a well-formed URL comes back stripped
    but otherwise unchanged, so the function never fails.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return url
    if not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    # User info is dropped: it never names a different page, and a password must not end up in a database.
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    # Latin-1 maps every escaped byte to one character and back, so escapes that are not UTF-8 survive;
    # raw non-ASCII characters are escaped as UTF-8 first, as a browser would send them.
    raw_query = quote(parts.query, safe=_QUERY_SAFE)
    pairs = parse_qsl(raw_query, keep_blank_values=True, encoding="latin-1")
    # Parameter order is an accident of whoever built the link; sorting makes one spelling of it.
    query = urlencode(sorted((key, value) for key, value in pairs if not _is_tracking(key)), encoding="latin-1")
    return urlunsplit((scheme, host, _normal_path(parts.path), query, ""))


def _normal_path(path: str) -> str:
    # The host is present, so the path is empty or starts with "/" (RFC 3986, 5.2.4 for the dot segments).
    kept: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        if segment in (".", ".."):
            if segment == ".." and kept:
                kept.pop()
            if index == len(segments) - 1:
                kept.append("")
        else:
            kept.append(segment)
    # Escapes are decoded to bytes and re-encoded: %7E and ~ are one character, %e9 and %E9 one byte,
    # while %2F stays escaped because a slash inside a segment is not a separator.
    return "/" + "/".join(quote(unquote_to_bytes(segment), safe=_SEGMENT_SAFE) for segment in kept)


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _hash16(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
