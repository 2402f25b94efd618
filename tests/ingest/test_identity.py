from __future__ import annotations

import pytest

from cyberops.ingest.identity import canonical_url, content_id


def test_content_id_is_16_hex_and_ignores_spacing_and_case() -> None:
    first = content_id("La Chine  rejette\nles accusations")
    assert len(first) == 16
    assert int(first, 16) >= 0
    assert first == content_id("la chine rejette les accusations ")
    assert first != content_id("La Chine accepte les accusations")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/a/b?utm_source=x&id=3#frag", "https://example.com/a/b?id=3"),
        ("https://example.com/?fbclid=abc&gclid=d", "https://example.com/"),
        ("http://example.com:80/page", "http://example.com/page"),
        ("https://example.com:8443/page?b=2&a=1", "https://example.com:8443/page?b=2&a=1"),
        ("https://[2001:db8::1]/x?utm_medium=y", "https://[2001:db8::1]/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
