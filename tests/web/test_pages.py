"""HTML pages through the ASGI app: they render, escape untrusted text, link only http(s), and work without JS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_builders import HOSTILE_MARKUP, beijing_denial

from cyberops.web.highlight import segments
from cyberops.web.pages import safe_url

HTML = {"accept": "text/html"}


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=pipeline", "/search?state=RU&kind=denial&since=&until=", "/articles/web-beijing",
     "/articles/web-beijing?claim=c2", "/dossiers", "/actors/EQGRP", "/states/CN", "/matrix?since=2019-01-01",
     "/analyze", "/docs"],
)  # fmt: skip
def test_pages_render(client: TestClient, path: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text, "no inline script on any page"


def test_claim_detail_works_without_javascript(client: TestClient) -> None:
    # Without htmx the claim link is a plain link: the article page opens with the detail shown.
    redirected = client.get("/articles/web-beijing/claims/c2", headers=HTML, follow_redirects=False)
    assert redirected.status_code == 303
    page = client.get(redirected.headers["location"], headers=HTML).text
    assert 'class="claim-card" data-claim="c2"' in page
    assert "Foreign ministry spokeswoman Hua Chunying rejected the accusations as groundless." in page
    fragment = client.get("/articles/web-beijing/claims/c2", headers={**HTML, "HX-Request": "true"}).text
    assert fragment.lstrip().startswith('<div class="claim-card"') and "<html" not in fragment


def test_untrusted_text_is_escaped_everywhere(client: TestClient) -> None:
    for path in ("/articles/web-hostile", "/articles/web-hostile?claim=c1", "/search?q=LockBit", "/dossiers"):
        page = client.get(path, headers=HTML).text
        for markup in (*HOSTILE_MARKUP, "<b>city hall</b>", "<i onmouseover"):
            assert markup not in page, (path, markup)
    article = client.get("/articles/web-hostile", headers=HTML).text
    assert "&lt;script&gt;window.__pwned = &#39;script&#39;" in article
    assert 'href="javascript:' not in article
    raw = client.get("/articles/web-hostile/raw")
    assert raw.headers["content-type"].startswith("text/plain") and raw.headers["content-security-policy"] == "sandbox"


def test_errors_are_pages_for_browsers_and_json_for_the_api(client: TestClient) -> None:
    page = client.get("/articles/<b>nope</b>", headers=HTML)
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "<b>nope</b>" not in page.text
    assert client.get("/api/records/nope").json()["message"]


def test_search_page_keeps_filters_in_facet_and_page_links(client: TestClient) -> None:
    page = client.get("/search?kind=denial&limit=1", headers=HTML).text
    assert 'href="?kind=denial&amp;limit=1&amp;lang=fr"' not in page  # limit is not a filter to keep
    assert 'href="?kind=denial&amp;lang=fr"' in page
    assert 'rel="next"' in page and "offset=1" in page


@pytest.mark.parametrize(
    ("value", "expected"),
    [("https://a.example/x", "https://a.example/x"), ("http://a.example", "http://a.example"),
     ("javascript:alert(1)", None), (" JaVaScRiPt:alert(1)", None), ("data:text/html,x", None), ("//evil", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_only_http_urls_become_links(value: str | None, expected: str | None) -> None:
    assert safe_url(value) == expected


def test_segments_cover_the_text_and_carry_every_overlapping_fact() -> None:
    record = beijing_denial()
    cut = segments(record)
    assert "".join(s.text for s in cut) == record.text
    hua = next(s for s in cut if s.text == "Hua Chunying")
    assert hua.entities == ["e1"] and hua.claims == ["c2"]
    assert all(not s.marked for s in cut if s.text.startswith("China rejects"))


def test_segments_ignore_spans_outside_the_text() -> None:
    record = beijing_denial()
    record.claims[0].evidence[0] = type(record.claims[0].evidence[0])(len(record.text) - 3, len(record.text) + 50)
    record.entities[0].mentions[0] = type(record.entities[0].mentions[0])(10, 5)
    assert "".join(s.text for s in segments(record)) == record.text
