"""The use cases the CLI and the web app both call: ingest → analyze → store → correlate.

A problem with one document is reported as an ``InputError`` in the stream,
never raised: the batch goes on with the next document.

Every stored document enters the store's correlation queue in its own
transaction; :func:`correlate_queued` places queued documents into dossiers
and takes them off the queue in the dossiers' transaction. An ingest ends by
correlating, so a run killed before that leaves the work queued for the next.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from sqlalchemy import exc as sa_exc

from cyberops.errors import CyberopsError, InputError
from cyberops.ingest.identity import content_id
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.nlp.analyzer import Analyzer
from cyberops.record import Article, Record
from cyberops.settings import Settings

if TYPE_CHECKING:
    import httpx

    from cyberops.correlate import Dossier
    from cyberops.ingest.fetch import Pacer, Resolver
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
    replaced: int = 0  # re-analyzed: the stored record replaced, the document kept
    dossiers: int = 0  # dossiers created or changed by the correlation that ends the run

    @property
    def seen(self) -> int:
        return self.stored + self.skipped + self.duplicates + self.failed + self.replaced


@dataclass(frozen=True)
class Checkpoint:
    """A marker in an item stream: ``action`` runs once every article before it is stored (or failed)."""

    action: Callable[[], None]


def ingest_inputs(
    inputs: Sequence[str],
    store: RecordStore,
    settings: Settings,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
    stdin: BinaryIO | None = None,
    correlate: bool = True,
) -> IngestCounts:
    """Store a record for every document named by ``inputs`` (files, folders, JSONL, URLs, ``-``)."""

    def sourced() -> Iterator[tuple[str | None, Article | InputError]]:
        for name in inputs:
            for item in iter_articles([name], settings, stdin=stdin):
                yield name, item

    return _ingest(sourced(), store, settings, workers, analyzer, on_progress, correlate=correlate)


def ingest_feeds(
    sources: Sequence[str],
    store: RecordStore,
    settings: Settings,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
    pacer: Pacer | None = None,
    correlate: bool = True,
) -> IngestCounts:
    """Store the new items of feeds (feed URLs, feed files, OPML lists) with a conditional GET per feed.

    The feeds' states (validators, items seen) come from the store and go back
    to it feed by feed, each only once every article of that feed is stored,
    so a run killed mid-feed fetches that feed again. ``pacer`` spaces requests
    per host; pass one pacer to successive runs (``watch``) to keep them polite.
    ``client`` and ``resolve`` are injectable for tests.
    """
    from cyberops.ingest.feeds import FeedPoller, FeedState

    states = {url: FeedState(s.etag, s.last_modified, s.seen) for url, s in store.feed_states().items()}
    poller = FeedPoller(settings, states, client, resolve, pacer)

    def persist(changed: Mapping[str, FeedState]) -> Callable[[], None]:
        def action() -> None:
            for url, state in changed.items():
                store.save_feed_state(url, state.etag, state.last_modified, seen=state.seen)

        return action

    def items() -> Iterator[tuple[str | None, Article | InputError | Checkpoint]]:
        saved = poller.states
        for result in poller.poll(sources):
            # A feed's state changes when its last item has been taken: checkpoint before the next item.
            current = poller.states
            changed = {url: state for url, state in current.items() if saved.get(url) != state}
            if changed:
                yield None, Checkpoint(persist(changed))
                saved = current
            yield None, result
        current = poller.states
        changed = {url: state for url, state in current.items() if saved.get(url) != state}
        if changed:
            yield None, Checkpoint(persist(changed))

    return _ingest(items(), store, settings, workers, analyzer, on_progress, correlate=correlate)


def watch_feeds(
    sources: Sequence[str],
    store: RecordStore,
    settings: Settings,
    every_seconds: float,
    stop: threading.Event | None = None,
    on_poll: Callable[[IngestCounts], None] | None = None,
    analyzer: Analyzer | None = None,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
    pacer: Pacer | None = None,
) -> int:
    """Run :func:`ingest_feeds` every ``every_seconds`` until ``stop`` is set; the number of polls made.

    One analyzer and one pacer serve every poll, so models load once and a
    host polled by two feeds is still spaced. Polls start ``every_seconds``
    apart; one that takes longer is followed by the next at once.
    """
    from cyberops.ingest.fetch import Pacer

    if every_seconds <= 0:
        raise ValueError(f"the polling interval must be positive, not {every_seconds}")
    stop = stop or threading.Event()
    pacer = pacer or Pacer(settings.host_delay)
    analyzer = analyzer or Analyzer(settings)
    polls = 0
    while not stop.is_set():
        started = time.monotonic()
        counts = ingest_feeds(sources, store, settings, 1, analyzer, client=client, resolve=resolve, pacer=pacer)
        polls += 1
        if on_poll is not None:
            on_poll(counts)
        stop.wait(max(0.0, every_seconds - (time.monotonic() - started)))
    return polls


def ingest(
    items: Iterable[Article | InputError],
    store: RecordStore,
    settings: Settings,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
    source: str | None = None,
    correlate: bool = True,
) -> IngestCounts:
    """Analyze and store every article of ``items`` (any source: files, feeds, WARC) not stored yet.

    Errors in the stream and documents that fail are written to the store's
    error table and the run goes on. Each document is saved in its own
    transaction by this one writer, so killing the run loses only the
    documents in flight, and running it again finishes the job.
    ``workers`` > 1 analyzes in that many processes, each loading its
    analyzer once.
    """
    return _ingest(
        ((source, item) for item in items), store, settings, workers, analyzer, on_progress, correlate=correlate
    )


def reanalyze(
    store: RecordStore,
    settings: Settings,
    everything: bool = False,
    workers: int = 1,
    analyzer: Analyzer | None = None,
    on_progress: Callable[[IngestCounts], None] | None = None,
) -> IngestCounts:
    """Analyze stored documents again from their cleaned text and replace their records, then re-correlate.

    By default only documents analyzed by another analyzer version than this
    one; ``everything`` takes them all. Ids, first-seen times and raw bytes
    are kept. Each document is replaced in its own transaction, so a killed
    run resumes where it stopped (the documents done carry the new version).
    """
    from cyberops.nlp.analyzer import ANALYZER_VERSION

    ids = store.document_ids(analyzer_not=None if everything else ANALYZER_VERSION)

    def stored() -> Iterator[tuple[str | None, Article]]:
        for document_id in ids:
            record = store.get(document_id)
            if record is None:  # deleted meanwhile
                continue
            raw = store.raw(document_id)
            yield (
                None,
                Article(
                    id=record.id,
                    text=record.text,
                    url=record.url,
                    title=record.title,
                    language=record.language,
                    published=record.published,
                    outlet=record.outlet,
                    raw_text=raw.decode("utf-8", errors="replace") if raw is not None else None,
                ),
            )

    return _ingest(stored(), store, settings, workers, analyzer, on_progress, replace=True)


def _ingest(
    items: Iterable[tuple[str | None, Article | InputError | Checkpoint]],
    store: RecordStore,
    settings: Settings,
    workers: int,
    analyzer: Analyzer | None,
    on_progress: Callable[[IngestCounts], None] | None,
    correlate: bool = True,
    replace: bool = False,
) -> IngestCounts:
    counts = IngestCounts()
    writer = _Writer(store, counts, on_progress, replace)
    if workers <= 1:
        analyzer = analyzer or Analyzer(settings)
        for source, item in writer.new_articles(items):
            if isinstance(item, Checkpoint):
                item.action()
            else:
                writer.save(source, item, _analyze_one(analyzer, item))
    else:
        # Spawned, not forked: the parent may run threads (progress display, HTTP pools) that fork would copy
        # mid-lock.
        context = multiprocessing.get_context("spawn")
        window = workers * 4  # articles in flight: enough to keep workers busy, bounded memory
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(settings,)) as pool:
            pending: dict[Future, tuple[str | None, Article]] = {}
            for source, article in writer.new_articles(items):
                if isinstance(article, Checkpoint):
                    _drain(pending, writer, wait_for=ALL_COMPLETED)
                    article.action()
                    continue
                pending[pool.submit(_analyze_in_worker, article)] = (source, article)
                if len(pending) >= window:
                    _drain(pending, writer, wait_for=FIRST_COMPLETED)
            _drain(pending, writer, wait_for=ALL_COMPLETED)
    if correlate:
        counts.dossiers = correlate_queued(store).changed
    return counts


# -- correlation -----------------------------------------------------------------------------


@dataclass
class CorrelationCounts:
    documents: int = 0  # documents placed (or found to have nothing to place)
    changed: int = 0  # dossiers created or updated
    removed: int = 0  # dossiers merged into others or left empty


def correlate_queued(store: RecordStore, batch: int = 500) -> CorrelationCounts:
    """Place every queued document into dossiers: only the dossiers sharing a key with it are read."""
    from cyberops.correlate import Dossier, record_keys, update_dossiers

    counts = CorrelationCounts()
    while ids := store.queued_for_correlation(batch):
        records = store.records(ids)
        stories = _stories(store, ids)
        keys = set().union(*(record_keys(r) for r in records)) | {f"s:{s}" for s in stories.values()}
        existing = [Dossier.from_dict(p) for p in store.dossier_payloads(keys, document_ids=ids)]
        update = update_dossiers(existing, records, store.first_seen(ids), stories)
        changed = set(update.changed)
        items = [_dossier_item(d) for d in update.dossiers if d.id in changed]
        store.save_dossiers(items, removed=update.removed, correlated=ids)
        counts.documents += len(ids)
        counts.changed += len(items)
        counts.removed += len(update.removed)
    return counts


def rebuild_dossiers(store: RecordStore) -> CorrelationCounts:
    """Correlate every stored document from scratch and replace all dossiers (signing older documents first)."""
    from cyberops.correlate import build_dossiers

    store.sign_unsigned()
    ids = store.document_ids()
    dossiers = build_dossiers(store.records(ids), store.first_seen(ids), _stories(store, ids))
    store.save_dossiers([_dossier_item(d) for d in dossiers], replace_all=True)
    return CorrelationCounts(documents=len(ids), changed=len(dossiers))


@dataclass
class DossierReport:
    """A stored dossier with the number of copies of each of its documents' stories."""

    dossier: Dossier
    copies: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {**self.dossier.to_dict(), "copies": self.copies}


def load_dossier(store: RecordStore, dossier_id: str) -> DossierReport | None:
    from cyberops.correlate import Dossier

    stored = store.get_dossier(dossier_id)
    if stored is None:
        return None
    dossier = Dossier.from_dict({"id": stored.id, "key": stored.key, **(stored.payload or {})})
    return DossierReport(dossier, store.copies(dossier.documents or stored.document_ids))


def _stories(store: RecordStore, document_ids: list[str]) -> dict[str, str]:
    """Every document's story: its canonical document, or itself, so that copies and original meet."""
    canonical = store.canonical_ids(document_ids)
    return {d: canonical.get(d, d) for d in document_ids}


def _dossier_item(dossier: Dossier) -> dict[str, Any]:
    from cyberops.correlate import dossier_keys

    return {
        "id": dossier.id,
        "key": dossier.key,
        "title": dossier.title,
        "document_ids": list(dossier.documents),
        "payload": dossier.to_dict(),
        "keys": sorted(dossier_keys(dossier)),
    }


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

    def __init__(
        self,
        store: RecordStore,
        counts: IngestCounts,
        on_progress: Callable[[IngestCounts], None] | None,
        replace: bool = False,
    ):
        self.store = store
        self.counts = counts
        self.on_progress = on_progress or (lambda counts: None)
        self.replace = replace

    def new_articles(
        self, items: Iterable[tuple[str | None, Article | InputError | Checkpoint]]
    ) -> Iterator[tuple[str | None, Article | Checkpoint]]:
        for source, item in items:
            if isinstance(item, InputError):
                self.fail(item.source, item.message)
            elif isinstance(item, Checkpoint) or self.replace:
                yield source, item
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
            if self.replace:
                saved = self.store.save(result, replace=True)
            else:
                saved = self.store.save(result, raw=article.raw_text, source=source or article.url)
        except (sa_exc.DataError, sa_exc.IntegrityError) as exc:
            # This document's values are refused (too long for a column...); the next one may be fine.
            self.fail(_name(article, source), f"could not be stored ({type(exc.orig).__name__}: {exc.orig})")
            return
        if saved.created:
            self.counts.stored += 1
        elif saved.status == "replaced":
            self.counts.replaced += 1
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
