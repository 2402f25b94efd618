"""Feeds, WARC archives and bad input through the ingest use case, on both backends, with the real analyzer.

Feeds are served through httpx's MockTransport (the real client, canned responses); feed states live in the store.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from store_builders import ARTICLE
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cyberops.ingest.fetch import Pacer
from cyberops.nlp.analyzer import Analyzer
from cyberops.pipeline import ingest, ingest_feeds, ingest_inputs, watch_feeds
from cyberops.record import Article
from cyberops.store import RecordStore

FEED = "https://wire.example/feed.xml"
ETAG = '"v1"'


def public(host: str) -> list[str]:
    return ["93.184.216.34"]


def page(company: str) -> bytes:
    paragraphs = "".join(f"<p>{line}</p>" for line in ARTICLE.format(company=company).splitlines()[1:] if line.strip())
    title = f"Hackers broke into the network of {company}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def rss(*links: str) -> bytes:
    items = "".join(
        f"<item><title>Story {n}</title><link>{link}</link><pubDate>Tue, 19 Feb 2019 10:00:00 GMT</pubDate></item>"
        for n, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Security Wire</title>{items}</channel></rss>'.encode()
    )


class Site:
    """Canned responses by URL; every request is kept, so a test can see what was asked and how."""

    def __init__(self, routes: dict[str, httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception]):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get(str(request.url), httpx.Response(404))
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def asked(self) -> list[str]:
        return [str(r.url) for r in self.requests]


def html(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/html; charset=utf-8"})


def conditional(body: bytes) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == ETAG:
            return httpx.Response(304, headers={"ETag": ETAG})
        return httpx.Response(200, content=body, headers={"Content-Type": "application/rss+xml", "ETag": ETAG})

    return respond


def wire_site() -> Site:
    return Site(
        {
            FEED: conditional(rss("https://wire.example/a?utm_source=rss", "https://wire.example/b")),
            "https://wire.example/a?utm_source=rss": html(page("Fjordsoft")),
            "https://wire.example/b": html(page("Tromsdata")),
        }
    )


def run_feeds(sources, store, settings, analyzer, site: Site):
    return ingest_feeds(
        sources, store, settings, analyzer=analyzer, client=site.client(), resolve=public, pacer=Pacer(0)
    )


def test_a_feed_is_ingested_then_answers_304_on_the_next_run(store: RecordStore, analyzer: Analyzer, settings):
    site = wire_site()
    first = run_feeds([FEED], store, settings, analyzer, site)
    assert (first.stored, first.failed) == (2, 0)
    state = store.feed_state(FEED)
    assert state.etag == ETAG and len(state.seen) == 2
    assert store.get(store.find(url="https://wire.example/b")).outlet == "Security Wire"

    site.requests.clear()
    second = run_feeds([FEED], store, settings, analyzer, site)
    assert (second.stored, second.skipped, second.failed) == (0, 0, 0)
    assert site.asked() == [FEED]  # only the feed, and it answered 304
    assert site.requests[0].headers["if-none-match"] == ETAG
    assert store.count() == 2


def test_an_unreachable_and_a_malformed_feed_are_errors_and_the_rest_is_stored(
    store: RecordStore, analyzer: Analyzer, settings, tmp_path: Path
):
    site = wire_site()
    site.routes["https://down.example/rss"] = httpx.ConnectError("connection refused")
    site.routes["https://broken.example/rss"] = httpx.Response(
        200, content=b"<rss><channel><title>oops</titl", headers={"Content-Type": "application/rss+xml"}
    )
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline xmlUrl="https://down.example/rss"/><outline xmlUrl="https://broken.example/rss"/>'
        f'<outline xmlUrl="{FEED}"/></body></opml>',
        encoding="utf-8",
    )
    counts = run_feeds([str(opml)], store, settings, analyzer, site)
    assert (counts.stored, counts.failed) == (2, 2)
    reasons = {e.source: e.message for e in store.errors()}
    assert set(reasons) == {"https://down.example/rss", "https://broken.example/rss"}
    assert "refused" in reasons["https://down.example/rss"] or "connect" in reasons["https://down.example/rss"].lower()
    assert reasons["https://broken.example/rss"].startswith("malformed feed XML (")
    # The failed feeds keep no state: the next run tries them afresh.
    assert store.feed_state("https://down.example/rss") is None and store.feed_state(FEED) is not None


class _Interrupted(BaseException):
    """Stands for the process being stopped: not an analysis failure, it ends the run."""


class _StopsOn:
    def __init__(self, analyzer: Analyzer, company: str) -> None:
        self.analyzer, self.company = analyzer, company

    def analyze(self, article: Article):
        if self.company in article.text:
            raise _Interrupted
        return self.analyzer.analyze(article)


def test_a_run_stopped_mid_feed_keeps_no_feed_state_and_the_next_run_finishes(
    store: RecordStore, analyzer: Analyzer, settings
):
    site = wire_site()
    with pytest.raises(_Interrupted):
        run_feeds([FEED], store, settings, _StopsOn(analyzer, "Tromsdata"), site)
    assert store.count() == 1 and store.feed_state(FEED) is None

    site.requests.clear()
    again = run_feeds([FEED], store, settings, analyzer, site)
    assert "if-none-match" not in site.requests[0].headers  # no validators were saved: a full fetch
    assert (again.stored, again.skipped) == (1, 1) and store.count() == 2
    assert store.feed_state(FEED).etag == ETAG


def test_watch_polls_with_one_pacer_until_stopped(store: RecordStore, analyzer: Analyzer, settings):
    site = wire_site()
    stop = threading.Event()
    polls = []

    def on_poll(counts):
        polls.append(counts.stored)
        if len(polls) == 2:
            stop.set()

    made = watch_feeds(
        [FEED], store, settings, 0.01, stop=stop, on_poll=on_poll, analyzer=analyzer,
        client=site.client(), resolve=public, pacer=Pacer(0),
    )  # fmt: skip
    assert made == 2 and polls == [2, 0]
    assert [r.headers.get("if-none-match") for r in site.requests if str(r.url) == FEED] == [None, ETAG]


def truncated_warc(path: Path) -> Path:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for n, company in enumerate(["Bergenware", "Stavangersys", "Narviknet"]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(
                    f"https://archive.example/{n}", "response", payload=io.BytesIO(page(company)), http_headers=headers
                )
            )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.8)])  # the last record is cut short
    return path


class _FailsOn:
    def __init__(self, analyzer: Analyzer, company: str) -> None:
        self.analyzer, self.company = analyzer, company

    def analyze(self, article: Article):
        if self.company in article.text:
            raise ValueError("the tagger choked")
        return self.analyzer.analyze(article)


def test_a_truncated_warc_and_a_document_failing_analysis_are_errors_and_the_rest_is_stored(
    store: RecordStore, analyzer: Analyzer, settings, tmp_path: Path
):
    archive = truncated_warc(tmp_path / "crawl.warc.gz")
    counts = ingest_inputs([str(archive)], store, settings, analyzer=_FailsOn(analyzer, "Stavangersys"))
    assert (counts.stored, counts.failed) == (1, 2)
    reasons = sorted(e.message for e in store.errors())
    assert len(reasons) == 2
    assert any("truncated" in r for r in reasons)
    assert any(r == "analysis failed (ValueError: the tagger choked)" for r in reasons)
    assert store.find(url="https://archive.example/0") and not store.find(url="https://archive.example/1")
    assert store.check() == []


def test_errors_and_articles_from_any_stream(store: RecordStore, analyzer: Analyzer, settings):
    from cyberops.errors import InputError

    items = [InputError("https://down.example/rss", "could not connect"), Article("x", ARTICLE.format(company="Alta"))]
    counts = ingest(items, store, settings, analyzer=analyzer)
    assert (counts.stored, counts.failed) == (1, 1)
