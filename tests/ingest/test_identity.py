from __future__ import annotations

import pytest

from cyberops.ingest.identity import canonical_url, content_id, url_id


def test_content_id_is_16_hex_and_ignores_spacing_and_case() -> None:
    first = content_id("La Chine  rejette\nles accusations")
    assert len(first) == 16
    assert int(first, 16) >= 0
    assert first == content_id("la chine rejette les accusations ")
    assert first != content_id("La Chine accepte les accusations")


def test_content_id_ignores_invisible_characters_and_composition() -> None:
    plain = content_id("cyberespionnage présumé")
    assert content_id("cyber\u00adespion\u200bnage pre\u0301sume\u0301\ufeff") == plain
    assert content_id("cyberespionnage presume") != plain


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM/a/b?utm_source=x&id=3#frag", "https://example.com/a/b?id=3"),
        ("https://example.com/?fbclid=abc&gclid=d", "https://example.com/"),
        ("http://example.com:80/page", "http://example.com/page"),
        ("https://example.com:443/page", "https://example.com/page"),
        ("https://example.com:8443/page?b=2&a=1", "https://example.com:8443/page?a=1&b=2"),
        ("https://[2001:db8::1]/x?utm_medium=y", "https://[2001:db8::1]/x"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com./a", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/%7Euser/caf%c3%a9", "https://example.com/~user/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
        ("https://example.com/x?q=caf%E9", "https://example.com/x?q=caf%E9"),
        ("https://example.com/x?q=café", "https://example.com/x?q=caf%C3%A9"),
        ("https://example.com/x?ref=twitter&xtor=RSS-3&mc_cid=1&mc_eid=2&id=7", "https://example.com/x?id=7"),
        ("https://example.com/x?UTM_Campaign=a&ns_source=b&at_medium=c&_hsenc=d", "https://example.com/x"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent() -> None:
    url = "HTTPS://Example.com:443/a/../b/%7e?z=1&a=caf%C3%A9&utm_source=rss#top"
    assert canonical_url(canonical_url(url)) == canonical_url(url)


@pytest.mark.parametrize("url", ["not a url", "https://example.com:notaport/x", "/relative/path", ""])
def test_canonical_url_never_fails_on_malformed_input(url: str) -> None:
    assert canonical_url(url) == url.strip()


def test_url_id_is_the_same_for_two_spellings_of_one_page() -> None:
    first = url_id("https://news.example/story?id=1&utm_source=rss")
    assert first == url_id("HTTPS://NEWS.example:443/story?id=1#comments")
    assert len(first) == 16
    assert first != url_id("https://news.example/story?id=2")
