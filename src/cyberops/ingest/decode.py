"""Bytes to text: the one place where an encoding is decided.

Order of evidence, strongest first: a byte-order mark, valid UTF-8, a charset
the source declared (HTTP header or ``<meta charset>``), then a statistical
detector. Valid UTF-8 goes before the declaration because mislabelled UTF-8
pages are common and other encodings almost never decode as UTF-8 by chance.

Pages that are mostly UTF-8 with a few stray cp1252 bytes (a common result of
pasting between editors) are repaired byte by byte instead of being handed to
the detector, which would otherwise misread the whole page.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from cyberops.errors import DecodeError

# Longest first: the UTF-32 LE mark starts with the UTF-16 LE mark.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of formats people feed by mistake; naming them makes the error actionable.
_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF-", "a PDF file (convert it to text first)"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip-compressed data (name the file *.gz or decompress it)"),
    (b"\x7fELF", "an executable"),
)

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.I)
# Control characters that never occur in text (tab, newline, CR, form feed excepted).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_SNIFF_BYTES = 8192
_MAX_NUL_RATIO = 0.01
# A stray NUL or two in a text file is stripped, not fatal.
_MIN_NULS_FOR_BINARY = 2
_MAX_CONTROL_RATIO = 0.05
# WHATWG: browsers treat these labels as windows-1252, and so do real pages.
_CP1252_ALIASES = {"latin-1", "latin1", "iso-8859-1", "iso8859-1", "iso_8859-1", "us-ascii", "ascii"}


def decode_bytes(data: bytes, source: str, declared: str | None = None) -> str:
    """Decode ``data`` to text with ``\\n`` newlines and no NUL characters.

    ``declared`` is a charset the source announced (e.g. the HTTP
    ``Content-Type``); a ``<meta charset>`` in the first bytes counts too.
    Raises :class:`DecodeError` when the bytes are binary data, not text.
    """
    if not data:
        return ""
    text = _decode_with_bom(data)
    if text is None:
        _refuse_binary(data, source)
        text = _decode_without_bom(data, declared)
    if text is None:
        raise DecodeError(source, "the bytes are not text in any known encoding; is this a binary file?")
    sample = text[:_SNIFF_BYTES]
    if sample and len(_CONTROL.findall(sample.replace("\x00", ""))) > _MAX_CONTROL_RATIO * len(sample):
        raise DecodeError(source, "the content is mostly control characters; is this a binary file?")
    return text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _decode_with_bom(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    utf16 = _sniff_utf16(data[:_SNIFF_BYTES])
    return data.decode(utf16, errors="replace") if utf16 else None


def _sniff_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII-range text leaves NULs in every other byte."""
    if len(head) < 4:
        return None
    even_nuls = head[0::2].count(0) / len(head[0::2])
    odd_nuls = head[1::2].count(0) / max(1, len(head[1::2]))
    if odd_nuls > 0.6 and even_nuls < 0.1:
        return "utf-16-le"
    if even_nuls > 0.6 and odd_nuls < 0.1:
        return "utf-16-be"
    return None


def _refuse_binary(data: bytes, source: str) -> None:
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            raise DecodeError(source, f"this is {what}, not text")
    head = data[:_SNIFF_BYTES]
    nuls = head.count(0)
    if nuls > _MIN_NULS_FOR_BINARY and nuls > _MAX_NUL_RATIO * len(head):
        raise DecodeError(source, "the bytes contain NUL characters; is this a binary file?")


def _decode_without_bom(data: bytes, declared: str | None) -> str | None:
    # Valid UTF-8 first: non-ASCII text in another encoding is almost never valid UTF-8
    # by chance, while servers that label UTF-8 pages "ISO-8859-1" are common.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for label in (declared, _meta_charset(data)):
        encoding = _codec_name(label)
        if encoding and encoding != "utf-8":
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                # A wrong declaration is common; the steps below still get a chance.
                pass
    if _looks_mostly_utf8(data):
        return _decode_utf8_repairing_cp1252(data)
    encoding = _detect(data[: 4 * _SNIFF_BYTES])
    if encoding is None:
        return None
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return None


def _detect(data: bytes) -> str | None:
    """The detector's choice, with ties broken in favour of windows-1252.

    On short Western European text the detector cannot tell cp1252 from
    cp1250 or cp1257 (same chaos, same coherence) and lists them in an
    arbitrary order; cp1252 is by far the most common of them on the web.
    """
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    for match in matches:
        tied = match.chaos <= best.chaos + 0.01 and match.coherence >= best.coherence - 0.01
        if tied and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return best.encoding


def _meta_charset(data: bytes) -> str | None:
    found = _META_CHARSET.search(data[:_SNIFF_BYTES])
    return found.group(1).decode("ascii") if found else None


def _codec_name(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _CP1252_ALIASES:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _looks_mostly_utf8(data: bytes) -> bool:
    """True when valid UTF-8 multi-byte sequences outnumber the invalid bytes."""
    decoded = data.decode("utf-8", errors="surrogateescape")
    invalid = sum(1 for ch in decoded if "\udc80" <= ch <= "\udcff")
    valid_multibyte = sum(1 for ch in decoded if ord(ch) > 0x7F and not "\udc80" <= ch <= "\udcff")
    return valid_multibyte > invalid


def _decode_utf8_repairing_cp1252(data: bytes) -> str:
    decoded = data.decode("utf-8", errors="surrogateescape")
    return re.sub(r"[\udc80-\udcff]+", _cp1252_from_escapes, decoded)


def _cp1252_from_escapes(match: re.Match[str]) -> str:
    raw = bytes(ord(ch) - 0xDC00 for ch in match.group(0))
    # cp1252 leaves five bytes undefined; latin-1 maps every byte.
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in raw)
