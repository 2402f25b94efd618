from __future__ import annotations

import pytest

from cyberops.errors import EmptyDocumentError, InputError, TooLargeError
from cyberops.ingest.html import extract_html
from cyberops.settings import Settings


def test_extracts_title_body_and_date(article_html: str) -> None:
    page = extract_html(article_html, "https://news.example/a", "page.html")
    assert page.title == "Le ministère dément toute cyberattaque"
    assert page.text.startswith(page.title + "\n\n")
    assert "rejeté mardi les accusations" in page.text
    assert "Mentions légales" not in page.text
    assert page.published == "2019-02-19"
    assert "\n\n" in page.text


def test_bytes_in_cp1252_are_decoded(article_html: str) -> None:
    data = article_html.replace('charset="utf-8"', 'charset="windows-1252"').encode("cp1252", errors="replace")
    assert "Affaires étrangères" in extract_html(data, None, "page.html").text


@pytest.mark.parametrize(
    "html",
    [
        pytest.param("<html><body><p>Le ministère a démenti " * 50, id="unclosed-tags"),
        pytest.param("<div>" * 5000 + "<p>Texte profond. " * 30 + "</div>" * 10, id="deep-nesting"),
        pytest.param("<script>alert(1)</script><p><b><i>x</p></b></i>" * 200, id="script-and-misnesting"),
        pytest.param("<html><body><p>\x00\x01</p><<<>>>&&&;</body>", id="junk"),
    ],
)
def test_broken_or_hostile_html_does_not_crash(html: str) -> None:
    try:
        page = extract_html(html, None, "hostile.html")
    except InputError as error:  # EmptyDocumentError is one
        assert error.source == "hostile.html"
    else:
        assert "alert(1)" not in page.text


def test_script_content_never_reaches_the_text(article_html: str) -> None:
    html = article_html.replace("<article>", "<article><script>steal(document.cookie)</script>")
    assert "steal" not in extract_html(html, None, "page.html").text


def test_page_without_body_is_empty() -> None:
    with pytest.raises(EmptyDocumentError):
        extract_html("<html><head><title>x</title></head><body><nav>Menu</nav></body></html>", None, "p.html")


def test_blank_page_is_empty() -> None:
    with pytest.raises(EmptyDocumentError, match="empty document"):
        extract_html(b"   \n", None, "p.html")


def test_oversized_page_is_refused_before_parsing() -> None:
    huge = b"<p>" + b"a" * (50 * 1024 * 1024)
    with pytest.raises(TooLargeError, match="max-bytes"):
        extract_html(huge, None, "huge.html", Settings(max_bytes=20 * 1024 * 1024))
