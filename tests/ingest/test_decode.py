from __future__ import annotations

import os

import pytest

from cyberops.errors import DecodeError
from cyberops.ingest.decode import decode_bytes

FRENCH = "La Chine a exhorté, mardi, «les pays concernés» à cesser les accusations — déclaré l’égalité."
LATIN1_FRENCH = "Le délégué a été reçu à Genève où il a évoqué la sûreté de l'État."


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(FRENCH.encode("utf-8"), FRENCH, id="utf8"),
        pytest.param(FRENCH.encode("cp1252"), FRENCH, id="cp1252-french"),
        pytest.param(LATIN1_FRENCH.encode("latin-1"), LATIN1_FRENCH, id="latin1-french"),
        pytest.param(FRENCH.encode("utf-8-sig"), FRENCH, id="utf8-bom"),
        pytest.param(FRENCH.encode("utf-16"), FRENCH, id="utf16-bom"),
        pytest.param(FRENCH.encode("utf-16-le"), FRENCH, id="utf16-without-bom"),
        pytest.param(
            "Привет, как дела? Это тест кодировки.".encode("cp1251"),
            "Привет, как дела? Это тест кодировки.",
            id="cp1251",
        ),
    ],
)
def test_decodes_common_encodings(data: bytes, expected: str) -> None:
    assert decode_bytes(data, "doc") == expected


def test_declared_charset_is_used_when_the_bytes_are_not_utf8() -> None:
    assert decode_bytes("Zażółć gęślą".encode("iso-8859-2"), "doc", declared="iso-8859-2") == "Zażółć gęślą"


def test_meta_charset_is_read() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body>Café déjà</body></html>'
    assert "Café déjà" in decode_bytes(html.encode("cp1252"), "doc")


def test_wrong_declared_charset_falls_back() -> None:
    assert decode_bytes(FRENCH.encode("utf-8"), "doc", declared="ascii") == FRENCH


def test_mostly_utf8_with_stray_cp1252_bytes_is_repaired() -> None:
    data = "Déjà vu à Genève, ".encode() + "café".encode("cp1252") + " — fin".encode()
    assert decode_bytes(data, "doc") == "Déjà vu à Genève, café — fin"


def test_newlines_are_normalised_and_nuls_stripped() -> None:
    assert decode_bytes(b"one\r\ntwo\rthree\x00\n", "doc") == "one\ntwo\nthree\n"


def test_empty_bytes_give_empty_text() -> None:
    assert decode_bytes(b"", "doc") == ""


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, id="png"),
        pytest.param(os.urandom(4096), id="random-bytes"),
        pytest.param(b"abc\x00\x00\x01\x02" * 500, id="nul-and-control-bytes"),
        pytest.param(bytes(range(32)) * 100, id="control-characters"),
    ],
)
def test_binary_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match="binary|not text|PNG"):
        decode_bytes(data, "blob.bin")


def test_error_names_the_document() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(b"%PDF-1.7 ...", "report.txt")
    assert caught.value.source == "report.txt"
    assert "PDF" in str(caught.value)
