"""The ingest use case with the real analyzer, on both backends: bad input, duplicates, re-runs, worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_builders import ARTICLE, write_articles

from cyberops.errors import InputError
from cyberops.ingest.sources import article_from_text
from cyberops.nlp.analyzer import Analyzer
from cyberops.pipeline import ingest, ingest_inputs
from cyberops.record import Article
from cyberops.store import RecordStore


def test_good_articles_are_stored_and_bad_ones_become_errors(store: RecordStore, analyzer: Analyzer, settings, tmp_path):
    write_articles(tmp_path / "in", 3)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "garbage.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    counts = ingest_inputs([str(tmp_path / "in")], store, settings, analyzer=analyzer)
    assert (counts.stored, counts.failed) == (3, 2)
    assert store.count() == 3
    assert sorted(Path(e.source).name for e in store.errors()) == ["empty.txt", "garbage.html"]
    [hit] = store.search("Nordsoft 1", kind="denial").hits
    record = store.get(hit.id)
    assert record.relevant and any(c.kind == "denial" and c.speaker_state == "CN" for c in record.claims)
    assert store.raw(hit.id).decode("utf-8").startswith("Hackers broke into the network of Nordsoft 1")
    assert store.check() == []


def test_a_second_run_skips_what_is_stored(store: RecordStore, analyzer: Analyzer, settings, tmp_path):
    write_articles(tmp_path / "in", 3)
    ingest_inputs([str(tmp_path / "in")], store, settings, analyzer=analyzer)
    write_articles(tmp_path / "in", 4)
    again = ingest_inputs([str(tmp_path / "in")], store, settings, analyzer=analyzer)
    assert (again.stored, again.skipped, again.failed) == (1, 3, 0)
    assert store.count() == 4


def test_one_article_under_two_urls_with_tracking_parameters_is_stored_once(
    store: RecordStore, analyzer: Analyzer, settings, tmp_path
):
    lines = [
        {"id": "a", "url": "https://example.org/news/1?utm_source=twitter", "text": ARTICLE.format(company="Visma")},
        {"id": "b", "url": "https://example.org/news/1?fbclid=abc#top", "text": ARTICLE.format(company="Visma AS")},
        {"id": "c", "url": "https://mirror.example.net/copy", "text": ARTICLE.format(company="Visma")},
    ]
    source = tmp_path / "feed.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    counts = ingest_inputs([str(source)], store, settings, analyzer=analyzer)
    # b: same canonical URL as a; c: same text as a. Both are found before analysis.
    assert (counts.stored, counts.skipped) == (1, 2)
    assert store.count() == 1 and store.has("a")


class _FailsOn:
    """The real analyzer, except that it breaks on one article: a bug must cost one document, not the batch."""

    def __init__(self, analyzer: Analyzer, bad_id: str) -> None:
        self.analyzer, self.bad_id = analyzer, bad_id

    def analyze(self, article: Article):
        if article.id == self.bad_id:
            raise RuntimeError("the parser fell over")
        return self.analyzer.analyze(article)


def test_any_iterable_of_articles_and_errors_can_be_ingested(store: RecordStore, analyzer: Analyzer, settings):
    items = [
        Article(id="ok-1", text=ARTICLE.format(company="Alpha"), url="https://example.org/1", outlet="Wire"),
        InputError("https://example.org/feed.xml", "not well-formed XML (line 3)"),
        Article(id="boom", text=ARTICLE.format(company="Beta")),
        Article(id="ok-2", text=ARTICLE.format(company="Gamma")),
    ]
    counts = ingest(items, store, settings, analyzer=_FailsOn(analyzer, "boom"), source="feed:example")
    assert (counts.stored, counts.failed) == (2, 2)
    assert {(e.source, e.message) for e in store.errors()} == {
        ("https://example.org/feed.xml", "not well-formed XML (line 3)"),
        ("feed:example#boom", "analysis failed (RuntimeError: the parser fell over)"),
    }
    assert store.get("ok-1").outlet == "Wire"
    assert not store.has("boom")


def test_progress_is_reported_for_every_document(store: RecordStore, analyzer: Analyzer, settings, tmp_path):
    write_articles(tmp_path / "in", 2)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    seen: list[int] = []
    ingest_inputs([str(tmp_path / "in")], store, settings, analyzer=analyzer, on_progress=lambda c: seen.append(c.seen))
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_worker_processes_store_the_same_as_one_process(store: RecordStore, analyzer: Analyzer, settings, tmp_path):
    write_articles(tmp_path / "in", 6)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    counts = ingest_inputs([str(tmp_path / "in")], store, settings, workers=2)
    assert (counts.stored, counts.failed) == (6, 1)
    assert store.check() == []
    [hit] = store.search('"Nordsoft 4"').hits
    in_process = analyzer.analyze(article_from_text(ARTICLE.format(company="Nordsoft 4"), "article-004.txt"))
    assert store.get(hit.id) == in_process
