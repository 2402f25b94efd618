"""Feeds in, Articles out: RSS and Atom (feedparser), OPML lists of feeds, and a polling loop.

A source is a feed URL, a local feed file, or an OPML file (local or fetched)
whose outlines name feeds. Each feed is fetched through the safe
:func:`~cyberops.ingest.fetch.fetch` with a conditional GET built from its
:class:`FeedState` (``304 Not Modified`` means no items and the state kept),
then each new item's page is fetched and made into an
:class:`~cyberops.record.Article`. A failing feed or item is yielded as an
:class:`~cyberops.errors.InputError` and the others go on.

The caller persists the states. A feed's state changes only once every item
of that feed has been yielded, so a run stopped half-way through a feed
fetches that feed again next time rather than losing its items: persist a
state only after the articles yielded before it are stored.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

import defusedxml.ElementTree as SafeElementTree
import feedparser
import httpx
from defusedxml import DefusedXmlException

from cyberops.errors import InputError, TooLargeError
from cyberops.ingest.decode import decode_bytes
from cyberops.ingest.fetch import NOT_MODIFIED, FetchedPage, Pacer, Resolver, fetch, new_client
from cyberops.ingest.identity import canonical_url, url_id
from cyberops.ingest.sources import article_from_html, article_from_text
from cyberops.record import Article
from cyberops.settings import Settings

Sink = Callable[[Article | InputError], None]
# An XML declaration, a BOM, comments or a doctype may come before the root element.
_OPML_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!doctype[^>]*>\s*)*<opml\b", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class FeedState:
    """What to remember about one feed between runs.

    ``etag`` and ``last_modified`` are the validators of the last full
    response, sent back as ``If-None-Match`` / ``If-Modified-Since``;
    ``seen`` holds the canonical URLs of the feed's items already made into
    articles, so a changed feed costs only its new items. It is pruned to the
    items the feed still lists, which keeps it as small as the feed.
    """

    etag: str | None = None
    last_modified: str | None = None
    seen: tuple[str, ...] = ()

    def request_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for a store column or a state file."""
        return {"etag": self.etag, "last_modified": self.last_modified, "seen": list(self.seen)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeedState:
        return cls(data.get("etag"), data.get("last_modified"), tuple(data.get("seen") or ()))


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed. ``published`` is an ISO date in the publisher's own time zone."""

    link: str | None
    title: str | None = None
    published: str | None = None
    guid: str | None = None
    summary: str | None = None
    updated: str | None = None


@dataclass(frozen=True)
class Feed:
    url: str
    title: str | None
    items: list[FeedItem] = field(default_factory=list)
    # The XML parser's complaint when the feed is malformed but items could still be recovered.
    problem: str | None = None


def parse_feed(data: bytes, source: str) -> Feed:
    """An RSS (0.9x, 1.0, 2.0) or Atom feed from its bytes; relative links resolve against ``source``.

    Raises :class:`InputError` when the bytes are no feed at all. A malformed
    feed from which the lenient parser recovers items is returned with
    ``problem`` set.
    """
    # feedparser reads a str or bytes argument as a path or URL when it can: hand it a stream so
    # that a feed body can never make it open a local file or the network. It refuses external
    # entities itself.
    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": source})
    error = parsed.get("bozo_exception")
    if not parsed.get("version"):
        reason = f" ({_xml_error(error)})" if error is not None else ""
        raise InputError(source, f"not an RSS or Atom feed{reason}; check the URL points at the feed itself")
    problem = _xml_error(error) if isinstance(error, SAXException) else None
    items = [_item(entry) for entry in parsed.entries]
    return Feed(source, parsed.feed.get("title") or None, items, problem)


def parse_opml(data: bytes, source: str) -> list[str]:
    """The feed URLs an OPML document lists (``xmlUrl`` of its outlines, nested or not), in order, once each."""
    try:
        # defusedxml refuses entity declarations and external references: an OPML file is plain data.
        root = SafeElementTree.fromstring(data)
    except (ParseError, DefusedXmlException) as error:
        raise InputError(source, f"not a valid OPML file ({error})") from error
    if root.tag.lower() != "opml":
        raise InputError(source, f"not an OPML file (the root element is <{root.tag}>)")
    urls: list[str] = []
    for outline in root.iter("outline"):
        url = next((value for key, value in outline.attrib.items() if key.lower() == "xmlurl"), "").strip()
        if url and url not in urls:
            urls.append(url)
    return urls


def is_opml(data: bytes) -> bool:
    """Whether the root element of ``data`` is ``<opml>``."""
    return _OPML_ROOT.match(data[:4096]) is not None


class FeedPoller:
    """Polls feeds again and again with one pacer and one set of states.

    ``states`` are keyed by feed URL (or local path); :attr:`states` is the
    current copy to persist. ``client``, ``resolve`` and ``pacer`` are
    injectable (tests); by default a client is made for each poll and the
    pacer spaces requests by ``settings.host_delay``.
    """

    def __init__(
        self,
        settings: Settings,
        states: Mapping[str, FeedState] | None = None,
        client: httpx.Client | None = None,
        resolve: Resolver | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.settings = settings
        self._states = dict(states or {})
        self._client = client
        self._resolve = resolve
        self._pacer = pacer or Pacer(settings.host_delay)

    @property
    def states(self) -> dict[str, FeedState]:
        return dict(self._states)

    def poll(self, sources: Iterable[str]) -> Generator[Article | InputError, None, None]:
        """One pass over ``sources``: the articles of new items, and an error for each failure."""
        client = self._client or new_client(self.settings)
        try:
            seen_feeds: set[str] = set()
            for source in sources:
                yield from self._source(source, client, seen_feeds)
        finally:
            if self._client is None:
                client.close()

    def _source(self, source: str, client: httpx.Client, seen_feeds: set[str]) -> Iterator[Article | InputError]:
        if _is_url(source):
            yield from self._feed(source, client, seen_feeds, allow_opml=True)
            return
        try:
            data = _read_file(Path(source), self.settings)
        except InputError as error:
            yield error
            return
        if is_opml(data):
            try:
                urls = parse_opml(data, source)
            except InputError as error:
                yield error
                return
            for url in urls:
                yield from self._feed(url, client, seen_feeds, allow_opml=False)
        else:
            yield from self._feed(source, client, seen_feeds, allow_opml=False, data=data)

    def _feed(
        self, url: str, client: httpx.Client, seen_feeds: set[str], allow_opml: bool, data: bytes | None = None
    ) -> Iterator[Article | InputError]:
        key = canonical_url(url) if _is_url(url) else url
        if key in seen_feeds:
            return
        seen_feeds.add(key)
        state = self._states.get(url, FeedState())
        if data is None:
            try:
                page = fetch(url, self.settings, client, self._resolve, state.request_headers(), self._pacer)
            except InputError as error:
                yield error
                return
            if page.status == NOT_MODIFIED:
                return
            data = page.content
            if is_opml(data):
                if not allow_opml:
                    yield InputError(url, "an OPML list names another OPML list; list feed URLs only")
                    return
                try:
                    urls = parse_opml(data, url)
                except InputError as error:
                    yield error
                    return
                for listed in urls:
                    yield from self._feed(listed, client, seen_feeds, allow_opml=False)
                return
            validators = FeedState(page.etag, page.last_modified)
        else:
            validators = FeedState()
        try:
            feed = parse_feed(data, url)
        except InputError as error:
            yield error
            return
        if feed.problem:
            yield InputError(url, f"malformed feed XML ({feed.problem}); {len(feed.items)} items recovered")
        done = yield from self._items(feed, set(state.seen), client)
        # Reached only when every item has been yielded and the consumer came back for more.
        self._states[url] = FeedState(validators.etag, validators.last_modified, tuple(done))

    def _items(
        self, feed: Feed, seen: set[str], client: httpx.Client
    ) -> Generator[Article | InputError, None, list[str]]:
        """Yield the articles of the feed's new items; return the canonical URLs to remember as seen."""
        done: list[str] = []
        for number, item in enumerate(feed.items, start=1):
            if not item.link:
                yield InputError(f"{feed.url}#{number}", f"feed item {item.title or item.guid or number!r} has no link")
                continue
            key = canonical_url(item.link)
            if key in done:
                continue
            if key in seen:
                done.append(key)
                continue
            try:
                page = fetch(item.link, self.settings, client, self._resolve, pacer=self._pacer)
                article = article_from_feed_item(page, item, self.settings, outlet=feed.title)
            except InputError as error:
                yield error
                continue
            except (ValueError, RecursionError) as error:
                # Hostile or broken HTML can trip the extractor; it is this item's problem only.
                yield InputError(item.link, f"could not be read ({type(error).__name__}: {error})")
                continue
            yield article
            done.append(key)
        return done


def article_from_feed_item(page: FetchedPage, item: FeedItem, settings: Settings, outlet: str | None = None) -> Article:
    """The Article of a fetched item page, with the feed's title and date where it gives them."""
    source = item.link or page.url
    if page.content_type == "text/plain":
        article = article_from_text(decode_bytes(page.content, source, page.charset), source, url=page.final_url)
    else:
        article = article_from_html(
            page.content, source, settings, url=page.final_url, declared_charset=page.charset
        )
    # The id follows the address the page was found at, so the same story reached through a
    # feed proxy, with tracking parameters or typed in by hand gets the same id.
    article.id = url_id(page.final_url)
    article.title = item.title or article.title
    # The feed's publication date is the publisher's own statement; the page's date is a guess
    # (htmldate), and an Atom <updated> is only a last resort.
    article.published = item.published or article.published or item.updated
    article.outlet = outlet or article.outlet
    return article


def iter_feed_articles(
    sources: Iterable[str],
    states: dict[str, FeedState],
    settings: Settings,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
    pacer: Pacer | None = None,
) -> Iterator[Article | InputError]:
    """Articles from the new items of feeds, or the error that stopped a feed or an item.

    ``sources`` are feed URLs, feed files or OPML files (paths or URLs).
    ``states`` is updated in place: a feed's entry changes once all its items
    have been yielded (see the module docstring).
    """
    poller = FeedPoller(settings, states, client, resolve, pacer)
    for result in poller.poll(sources):
        yield result
        states.update(poller.states)
    states.update(poller.states)


def watch(
    sources: Iterable[str],
    every_seconds: float,
    sink: Sink,
    settings: Settings,
    stop: threading.Event | None = None,
    states: Mapping[str, FeedState] | None = None,
    on_poll: Callable[[dict[str, FeedState]], None] | None = None,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
    pacer: Pacer | None = None,
) -> dict[str, FeedState]:
    """Poll ``sources`` every ``every_seconds`` until ``stop`` is set or Ctrl-C; return the final states.

    Every article and error goes to ``sink``; ``on_poll`` gets the states
    after each complete poll (persist them there). Polls start
    ``every_seconds`` apart; a poll that takes longer is followed by the next
    one at once. Ctrl-C ends the loop cleanly: the states returned are those
    of the feeds completed so far.
    """
    if every_seconds <= 0:
        raise ValueError(f"the polling interval must be positive, not {every_seconds}")
    sources = list(sources)
    stop = stop or threading.Event()
    poller = FeedPoller(settings, states, client, resolve, pacer)
    try:
        while not stop.is_set():
            started = time.monotonic()
            # closing(): a stop or Ctrl-C in the middle of a poll still closes its HTTP client.
            with closing(poller.poll(sources)) as results:
                for result in results:
                    sink(result)
                    if stop.is_set():
                        return poller.states
            if on_poll is not None:
                on_poll(poller.states)
            stop.wait(max(0.0, every_seconds - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    return poller.states


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in a duration like ``30s``, ``15m``, ``1h``, ``1h30m``, ``2d`` or a bare number of seconds."""
    compact = text.strip().replace(" ", "")
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != position or not match.group(0):
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        position = match.end()
    if not compact or position != len(compact):
        raise ValueError(f"{text!r} is not a duration; write it like 30s, 15m, 1h or 1h30m")
    if total <= 0:
        raise ValueError(f"{text!r} is not a positive duration")
    return total


def _item(entry: Any) -> FeedItem:
    return FeedItem(
        link=(entry.get("link") or "").strip() or None,
        title=(entry.get("title") or "").strip() or None,
        published=_local_date(entry.get("published"), entry.get("published_parsed")),
        guid=entry.get("id") or None,
        summary=entry.get("summary") or None,
        # dict.get, not entry.get: feedparser maps a missing "updated" to "published" with a warning.
        updated=_local_date(dict.get(entry, "updated"), dict.get(entry, "updated_parsed")),
    )


def _local_date(raw: str | None, parsed: time.struct_time | None) -> str | None:
    """The date as the publisher wrote it: feedparser's struct_time is in UTC, which can shift the day."""
    if raw:
        for parse in (parsedate_to_datetime, datetime.fromisoformat):
            try:
                return parse(raw.strip()).date().isoformat()
            except (TypeError, ValueError, IndexError):
                continue
    if parsed:
        return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday).isoformat()
    return None


def _xml_error(error: BaseException) -> str:
    line = getattr(error, "getLineNumber", None)
    where = f" at line {line()}" if callable(line) else ""
    return f"{getattr(error, 'getMessage', lambda: str(error))()}{where}"


def _is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def _read_file(path: Path, settings: Settings) -> bytes:
    source = str(path)
    if not path.is_file():
        raise InputError(source, "no such feed file; check the path or give a feed URL")
    size = path.stat().st_size
    if size > settings.max_bytes:
        raise TooLargeError(source, f"{size:,} bytes is over the limit of {settings.max_bytes:,}; raise --max-bytes")
    return path.read_bytes()
