"""The use cases the CLI and the web app both call: ingest → analyze → store.

A problem with one document is reported as an ``InputError`` in the stream,
never raised: the batch goes on with the next document.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from sqlalchemy import exc as sa_exc

from cyberops.errors import CyberopsError, InputError
from cyberops.ingest.identity import content_id
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.nlp.analyzer import Analyzer
from cyberops.record import Article, Record
from cyberops.settings import Settings

if TYPE_CHECKING:
    from cyberops.store import RecordStore


def analyze_inputs(
    inputs: Sequence[str],
    settings: Settings,
    analyzer: Analyzer | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[Record | InputError]:
    """Records for every document named by ``inputs`` (files, folders, JSONL, URLs, ``-``)."""
    analyzer = analyzer or Analyzer(settings)
    for item in iter_articles(list(inputs), settings, stdin=stdin):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield analyzer.analyze(item)
        except CyberopsError as exc:
            yield InputError(item.id, str(exc))


def analyze_dicts(docs: Sequence[dict], settings: Settings, analyzer: Analyzer | None = None) -> list[Record | None]:
    """Records for input dicts shaped like JSONL lines ({id, text|html, url?, language?}); None where one fails."""
    analyzer = analyzer or Analyzer(settings)
    records: list[Record | None] = []
    for doc in docs:
        try:
            article = article_from_dict(doc, str(doc.get("id", "?")), settings)
            records.append(analyzer.analyze(article))
        except CyberopsError:
            records.append(None)
    return records


# -- ingest → analyze → store ----------------------------------------------------------------


@dataclass
class IngestCounts:
    """What an ingest run did with each document it met."""

    stored: int = 0
    skipped: int = 0  # already in the store before analysis: not analyzed again
    duplicates: int = 0  # analyzed, then found stored (the same article twice in one run)
    failed: int = 0  # unreadable, failed analysis, or refused by the database: see `cyberops errors`

    @property
    def seen(self) -> int:
        return self.stored + self.skipped + self.duplicates + self.failed


def ingest_inputs(
    inputs: Sequence[str],
    store: RecordStore,
    settings: Settings,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
    stdin: BinaryIO | None = None,
) -> IngestCounts:
    """Store a record for every document named by ``inputs`` (files, folders, JSONL, URLs, ``-``)."""

    def sourced() -> Iterator[tuple[str | None, Article | InputError]]:
        for name in inputs:
            for item in iter_articles([name], settings, stdin=stdin):
                yield name, item

    return _ingest(sourced(), store, settings, workers, analyzer, on_progress)


def ingest(
    items: Iterable[Article | InputError],
    store: RecordStore,
    settings: Settings,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
    source: str | None = None,
) -> IngestCounts:
    """Analyze and store every article of ``items`` (any source: files, feeds, WARC) not stored yet.

    Errors in the stream and documents that fail are written to the store's
    error table and the run goes on. Each document is saved in its own
    transaction by this one writer, so killing the run loses only the
    documents in flight, and running it again finishes the job.
    ``workers`` > 1 analyzes in that many processes, each loading its
    analyzer once.
    """
    return _ingest(((source, item) for item in items), store, settings, workers, analyzer, on_progress)


def _ingest(
    items: Iterable[tuple[str | None, Article | InputError]],
    store: RecordStore,
    settings: Settings,
    workers: int,
    analyzer: Analyzer | None,
    on_progress: Callable[[IngestCounts], None] | None,
) -> IngestCounts:
    counts = IngestCounts()
    writer = _Writer(store, counts, on_progress)
    if workers <= 1:
        analyzer = analyzer or Analyzer(settings)
        for source, item in writer.new_articles(items):
            writer.save(source, item, _analyze_one(analyzer, item))
        return counts
    # Spawned, not forked: the parent may run threads (progress display, HTTP pools) that fork would copy mid-lock.
    context = multiprocessing.get_context("spawn")
    window = workers * 4  # articles in flight: enough to keep workers busy, bounded memory
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings,)) as pool:
        pending: dict[Future, tuple[str | None, Article]] = {}
        for source, article in writer.new_articles(items):
            pending[pool.submit(_analyze_in_worker, article)] = (source, article)
            if len(pending) >= window:
                _drain(pending, writer, wait_for=FIRST_COMPLETED)
        _drain(pending, writer, wait_for=ALL_COMPLETED)
    return counts


def _drain(pending: dict[Future, tuple[str | None, Article]], writer: _Writer, wait_for: str) -> None:
    done, _ = wait(pending, return_when=wait_for)
    for future in done:
        source, article = pending.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # the worker process died (killed, out of memory): one document lost, not the run
            result = f"analysis failed ({type(exc).__name__}: {exc})"
        writer.save(source, article, result)


class _Writer:
    """The one place that writes: skips what is stored, saves records, records errors, reports progress."""

    def __init__(self, store: RecordStore, counts: IngestCounts, on_progress: Callable[[IngestCounts], None] | None):
        self.store = store
        self.counts = counts
        self.on_progress = on_progress or (lambda counts: None)

    def new_articles(
        self, items: Iterable[tuple[str | None, Article | InputError]]
    ) -> Iterator[tuple[str | None, Article]]:
        for source, item in items:
            if isinstance(item, InputError):
                self.fail(item.source, item.message)
            elif self.store.has(item.id, url=item.url, content_hash=content_id(item.text)):
                self.counts.skipped += 1
                self.on_progress(self.counts)
            else:
                yield source, item

    def save(self, source: str | None, article: Article, result: Record | str) -> None:
        if isinstance(result, str):
            self.fail(_name(article, source), result)
            return
        try:
            saved = self.store.save(result, raw=article.raw_text, source=source or article.url)
        except (sa_exc.DataError, sa_exc.IntegrityError) as exc:
            # This document's values are refused (too long for a column...); the next one may be fine.
            self.fail(_name(article, source), f"could not be stored ({type(exc.orig).__name__}: {exc.orig})")
            return
        if saved.created:
            self.counts.stored += 1
        else:
            self.counts.duplicates += 1
        self.on_progress(self.counts)

    def fail(self, source: str, message: str) -> None:
        self.store.record_error(source, message)
        self.counts.failed += 1
        self.on_progress(self.counts)


def _name(article: Article, source: str | None) -> str:
    return article.url or (f"{source}#{article.id}" if source else article.id)


def _analyze_one(analyzer: Analyzer, article: Article) -> Record | str:
    """The record, or why analysis failed: one bad document must not stop a batch of thousands."""
    try:
        return analyzer.analyze(article)
    except Exception as exc:
        return f"analysis failed ({type(exc).__name__}: {exc})"


# Each worker process holds one analyzer, built by the pool's initializer, loaded on its first document.
_worker_analyzer: Analyzer | None = None


def _start_worker(settings: Settings) -> None:
    global _worker_analyzer
    _worker_analyzer = Analyzer(settings)


def _analyze_in_worker(article: Article) -> Record | str:
    assert _worker_analyzer is not None, "the pool's initializer builds the analyzer"
    return _analyze_one(_worker_analyzer, article)
