from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from cyberops.errors import FetchError, InputError, PrivateAddressError
from cyberops.ingest.feeds import (
    FeedState,
    is_opml,
    iter_feed_articles,
    parse_duration,
    parse_feed,
    parse_opml,
    watch,
)
from cyberops.ingest.fetch import Pacer
from cyberops.ingest.identity import url_id
from cyberops.record import Article
from cyberops.settings import Settings

PUBLIC_IP = "93.184.216.34"
SETTINGS = Settings(fetch_retries=1, fetch_backoff=1.0, host_delay=2.0)


def public_resolver(host: str) -> list[str]:
    return ["10.0.0.7"] if host == "intranet.example" else [PUBLIC_IP]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def page(title: str, sentence: str) -> bytes:
    paragraphs = "".join(f"<p>{sentence} Paragraph {n} adds detail on the investigation and its findings.</p>" for n in range(4))
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/subscribe'>Subscribe</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>Contact</footer></body></html>"
    ).encode()


def rss(*items: str, title: str = "Security Wire") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://wire.example/</link>{''.join(items)}</channel></rss>"
    ).encode()


def rss_item(link: str, title: str, date: str = "Tue, 19 Feb 2019 23:30:00 -0500") -> str:
    return f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{date}</pubDate><description>About {title}</description></item>"


class Site:
    """Canned responses by URL, served through httpx's MockTransport; records every request."""

    def __init__(self, routes: dict[str, httpx.Response | Callable[[httpx.Request], httpx.Response] | Exception]) -> None:
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get(str(request.url))
        if answer is None:
            return httpx.Response(404)
        if isinstance(answer, Exception):
            raise answer
        return answer(request) if callable(answer) else answer

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handler))

    def paths(self) -> list[str]:
        return [str(request.url) for request in self.requests]


def html(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "text/html; charset=utf-8"})


def run(sources: list[str], site: Site, states: dict[str, FeedState], clock: FakeClock | None = None) -> list[Article | InputError]:
    clock = clock or FakeClock()
    pacer = Pacer(SETTINGS.host_delay, clock=clock, sleep=clock.sleep)
    return list(iter_feed_articles(sources, states, SETTINGS, client=site.client(), resolve=public_resolver, pacer=pacer))


FEED = "https://wire.example/feed.xml"


def conditional_feed(body: bytes, etag: str = '"v1"') -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag})
        return httpx.Response(
            200,
            content=body,
            headers={"Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": "Wed, 20 Feb 2019 08:00:00 GMT"},
        )

    return respond


# --- parsing ---------------------------------------------------------------------------------------


def test_rss_items_carry_link_title_guid_summary_and_the_publishers_date() -> None:
    feed = parse_feed(rss(rss_item("/2019/breach?utm_source=rss", "Breach at a software firm")), FEED)
    assert feed.title == "Security Wire"
    (item,) = feed.items
    assert item.link == "https://wire.example/2019/breach?utm_source=rss"
    assert item.title == "Breach at a software firm"
    assert item.summary == "About Breach at a software firm"
    assert item.guid
    # 23:30 in New York is the next day in UTC; the article's date is the publisher's.
    assert item.published == "2019-02-19"


def test_atom_entries() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title>
    <entry><title>Ministry denies intrusion</title><link rel="alternate" href="https://atom.example/e1"/>
    <id>urn:uuid:1</id><updated>2019-02-21T09:00:00Z</updated><published>2019-02-18T22:00:00-03:00</published>
    <summary>Short</summary></entry>
    <entry><title>No date</title><link href="https://atom.example/e2"/><id>urn:uuid:2</id><updated>2019-02-22T09:00:00Z</updated></entry>
    </feed>"""
    feed = parse_feed(atom, "https://atom.example/feed")
    first, second = feed.items
    assert (first.link, first.guid, first.published, first.updated) == (
        "https://atom.example/e1",
        "urn:uuid:1",
        "2019-02-18",
        "2019-02-21",
    )
    assert second.published is None
    assert second.updated == "2019-02-22"


@pytest.mark.parametrize("body", [b"this is not xml {}", b"<html><body><p>A web page</p></body></html>", b""])
def test_what_is_no_feed_is_an_input_error(body: bytes) -> None:
    with pytest.raises(InputError, match="not an RSS or Atom feed"):
        parse_feed(body, FEED)


def test_malformed_feed_keeps_the_items_before_the_fault_and_says_so() -> None:
    broken = rss(rss_item("https://wire.example/a", "First")).replace(b"</channel></rss>", b"<item><title>B &amp bad")
    feed = parse_feed(broken, FEED)
    assert feed.problem and "line" in feed.problem
    assert feed.items[0].link == "https://wire.example/a"


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0"><channel><title>&x;</title><item><title>&x;</title><link>https://wire.example/a</link></item></channel></rss>'
    ).encode()
    feed = parse_feed(body, FEED)
    assert "TOP-SECRET" not in repr(feed)


def test_a_feed_body_naming_a_local_file_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "feed.xml"
    secret.write_bytes(rss(rss_item("https://wire.example/a", "Hidden")))
    with pytest.raises(InputError):
        parse_feed(str(secret).encode(), FEED)


def test_opml_lists_feeds_in_order_once_through_nested_outlines() -> None:
    opml = b"""<?xml version="1.0"?><opml version="2.0"><head><title>Feeds</title></head><body>
    <outline text="Security"><outline type="rss" text="A" xmlUrl="https://a.example/rss"/>
    <outline type="rss" text="B" xmlurl="https://b.example/atom"/></outline>
    <outline type="rss" text="A again" xmlUrl="https://a.example/rss"/><outline text="no feed"/></body></opml>"""
    assert is_opml(opml)
    assert parse_opml(opml, "feeds.opml") == ["https://a.example/rss", "https://b.example/atom"]


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><opml><body><outline xmlUrl="&b;"/></body></opml>',
        b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body><outline xmlUrl="&x;"/></body></opml>',
        b"<opml><body><outline xmlUrl='https://a.example/rss'>",
    ],
)
def test_hostile_or_broken_opml_is_refused(body: bytes) -> None:
    with pytest.raises(InputError, match="OPML"):
        parse_opml(body, "feeds.opml")


# --- fetching feeds and their items ---------------------------------------------------------------


def wire_site(*items: tuple[str, str], extra: dict | None = None) -> Site:
    body = rss(*(rss_item(link, title) for link, title in items))
    routes: dict = {FEED: conditional_feed(body)}
    for link, title in items:
        routes[link.split("?")[0]] = html(page(title, f"{title}: investigators traced the intrusion to a contractor."))
    routes.update(extra or {})
    return Site(routes)


def test_items_become_articles_and_a_failing_item_does_not_stop_the_others() -> None:
    site = wire_site(
        ("https://wire.example/a", "Hackers breach a Norwegian software company"),
        ("https://wire.example/b", "Ministry denies the accusations"),
    )
    site.routes["https://wire.example/gone"] = httpx.Response(410)
    site.routes["https://wire.example/a?utm_source=rss"] = site.routes["https://wire.example/a"]
    body = rss(
        rss_item("https://wire.example/a?utm_source=rss", "Hackers breach a Norwegian software company"),
        rss_item("https://wire.example/gone", "Removed story"),
        rss_item("https://wire.example/b", "Ministry denies the accusations"),
    )
    site.routes[FEED] = conditional_feed(body)
    states: dict[str, FeedState] = {}
    results = run([FEED], site, states)

    articles = [r for r in results if isinstance(r, Article)]
    errors = [r for r in results if isinstance(r, InputError)]
    assert [a.title for a in articles] == ["Hackers breach a Norwegian software company", "Ministry denies the accusations"]
    assert isinstance(errors[0], FetchError) and "410" in str(errors[0]) and errors[0].source == "https://wire.example/gone"
    first = articles[0]
    assert first.id == url_id("https://wire.example/a")
    assert first.url == "https://wire.example/a?utm_source=rss"
    assert first.published == "2019-02-19"
    assert first.outlet == "Security Wire"
    assert "investigators traced the intrusion" in first.text
    assert states[FEED].etag == '"v1"'
    assert states[FEED].last_modified == "Wed, 20 Feb 2019 08:00:00 GMT"
    # The failed item is not remembered, so the next poll tries it again.
    assert set(states[FEED].seen) == {"https://wire.example/a", "https://wire.example/b"}


def test_unchanged_feed_answers_304_and_keeps_its_state() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    states: dict[str, FeedState] = {}
    assert len(run([FEED], site, states)) == 1
    before = states[FEED]
    site.requests.clear()

    assert run([FEED], site, states) == []
    assert site.paths() == [FEED]
    assert site.requests[0].headers["if-none-match"] == '"v1"'
    assert site.requests[0].headers["if-modified-since"] == "Wed, 20 Feb 2019 08:00:00 GMT"
    assert states[FEED] == before


def test_a_changed_feed_costs_only_its_new_items() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    states: dict[str, FeedState] = {}
    run([FEED], site, states)
    site.requests.clear()
    body = rss(
        rss_item("https://wire.example/new", "Sanctions announced"),
        rss_item("https://wire.example/a", "Hackers breach a software company"),
    )
    site.routes[FEED] = conditional_feed(body, etag='"v2"')
    site.routes["https://wire.example/new"] = html(page("Sanctions announced", "The council imposed sanctions on the group."))

    results = run([FEED], site, states)
    assert [r.title for r in results if isinstance(r, Article)] == ["Sanctions announced"]
    assert site.paths() == [FEED, "https://wire.example/new"]
    assert states[FEED].etag == '"v2"'


def test_the_state_changes_only_after_all_items_of_the_feed_were_taken() -> None:
    site = wire_site(
        ("https://wire.example/a", "Hackers breach a software company"),
        ("https://wire.example/b", "Ministry denies the accusations"),
    )
    states: dict[str, FeedState] = {}
    clock = FakeClock()
    pacer = Pacer(0, clock=clock, sleep=clock.sleep)
    results = iter_feed_articles([FEED], states, SETTINGS, client=site.client(), resolve=public_resolver, pacer=pacer)
    next(results)
    next(results)
    # Stopped before asking for more: as after a crash, the feed must be read again in full next time.
    results.close()
    assert FEED not in states


def test_items_are_spaced_per_host_and_retried_with_backoff() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    flaky = [httpx.Response(503), html(page("Late story", "The agency confirmed the breach on Monday."))]
    site.routes["https://other.example/late"] = lambda request: flaky.pop(0)
    site.routes[FEED] = conditional_feed(
        rss(rss_item("https://wire.example/a", "Hackers breach a software company"), rss_item("https://other.example/late", "Late story"))
    )
    clock = FakeClock()
    results = run([FEED], site, {}, clock)
    assert [r.title for r in results] == ["Hackers breach a software company", "Late story"]
    # wire.example: the item waits host_delay (2 s) after the feed. other.example: a backoff of 1 s after
    # the 503, then the rest of its host delay, since the retry is a request to the same host.
    assert clock.sleeps == [2.0, 1.0, 1.0]


def test_item_links_to_private_addresses_are_refused() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    site.routes[FEED] = conditional_feed(rss(rss_item("http://intranet.example/admin", "Internal")))
    (error,) = run([FEED], site, {})
    assert isinstance(error, PrivateAddressError)
    assert not any("intranet" in url for url in site.paths())


def test_item_without_link_is_an_error() -> None:
    site = Site({FEED: conditional_feed(rss("<item><title>Linkless</title></item>"))})
    (error,) = run([FEED], site, {})
    assert isinstance(error, InputError) and "no link" in str(error)


def test_opml_file_with_an_unreachable_and_a_malformed_feed_ingests_the_rest(tmp_path: Path) -> None:
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline xmlUrl="https://down.example/rss"/><outline xmlUrl="https://bad.example/rss"/>'
        f'<outline xmlUrl="{FEED}"/><outline xmlUrl="{FEED}?utm_source=opml"/></body></opml>'
    )
    site = wire_site(
        ("https://wire.example/a", "Hackers breach a software company"),
        extra={
            "https://down.example/rss": httpx.ConnectError("Connection refused"),
            "https://bad.example/rss": httpx.Response(200, content=b"<rss><channel><item><title>oops</rss>"),
        },
    )
    results = run([str(opml)], site, {})
    errors = [r for r in results if isinstance(r, InputError)]
    assert [r.title for r in results if isinstance(r, Article)] == ["Hackers breach a software company"]
    assert errors[0].source == "https://down.example/rss" and "could not connect" in str(errors[0])
    assert errors[1].source == "https://bad.example/rss" and "malformed" in str(errors[1])
    # The same feed listed twice (once with a tracking parameter) is read once.
    assert site.paths().count(FEED) == 1


def test_local_feed_file(tmp_path: Path) -> None:
    path = tmp_path / "wire.xml"
    path.write_bytes(rss(rss_item("https://wire.example/a", "Hackers breach a software company")))
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    states: dict[str, FeedState] = {}
    (article,) = run([str(path)], site, states)
    assert isinstance(article, Article)
    assert states[str(path)].seen == ("https://wire.example/a",)


def test_missing_local_source_is_an_error(tmp_path: Path) -> None:
    (error,) = run([str(tmp_path / "nope.opml")], Site({}), {})
    assert "no such feed file" in str(error)


def test_feed_state_round_trips_through_json_data() -> None:
    state = FeedState('"e"', "Wed, 20 Feb 2019 08:00:00 GMT", ("https://wire.example/a",))
    assert FeedState.from_dict(state.to_dict()) == state
    assert FeedState.from_dict({}) == FeedState()


# --- watch -----------------------------------------------------------------------------------------


def test_watch_polls_until_stopped_and_reports_states_after_each_poll() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    received: list[Article | InputError] = []
    polls: list[dict[str, FeedState]] = []
    stop = threading.Event()

    def on_poll(states: dict[str, FeedState]) -> None:
        polls.append(states)
        if len(polls) == 3:
            stop.set()

    clock = FakeClock()
    final = watch(
        [FEED],
        0.001,
        received.append,
        SETTINGS,
        stop=stop,
        on_poll=on_poll,
        client=site.client(),
        resolve=public_resolver,
        pacer=Pacer(0, clock=clock, sleep=clock.sleep),
    )
    assert [r.title for r in received] == ["Hackers breach a software company"]
    assert len(polls) == 3
    assert site.paths() == [FEED, "https://wire.example/a", FEED, FEED]
    assert final[FEED].etag == '"v1"'


def test_ctrl_c_ends_watch_cleanly_with_the_states_so_far() -> None:
    site = wire_site(("https://wire.example/a", "Hackers breach a software company"))
    second = "https://second.example/feed.xml"
    site.routes[second] = conditional_feed(rss(rss_item("https://wire.example/a", "Hackers breach a software company")))
    calls = []

    def sink(result: Article | InputError) -> None:
        calls.append(result)
        if len(calls) == 2:
            raise KeyboardInterrupt

    clock = FakeClock()
    final = watch(
        [FEED, second],
        60,
        sink,
        SETTINGS,
        client=site.client(),
        resolve=public_resolver,
        pacer=Pacer(0, clock=clock, sleep=clock.sleep),
    )
    assert FEED in final and second not in final


def test_watch_refuses_a_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="positive"):
        watch([FEED], 0, lambda result: None, SETTINGS)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("90", 90), ("1.5h", 5400), (" 10 M ", 600)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15x", "m", "0s", "-5m", "1h and"])
def test_parse_duration_refuses_what_is_not_a_positive_duration(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


# --- a real HTTP server on loopback ---------------------------------------------------------------


class _FeedHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"real-1"':
                self.send_response(304)
                self.end_headers()
                return
            body = rss(rss_item(f"{base}/story", "Hackers breach a software company"))
            self._send(body, "application/rss+xml", {"ETag": '"real-1"'})
        elif self.path == "/story":
            self._send(page("Hackers breach a software company", "Investigators traced the intrusion."), "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.mark.network
def test_conditional_get_against_a_real_server() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        feed = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        settings = Settings(allow_private=True, host_delay=0)
        states: dict[str, FeedState] = {}
        (article,) = iter_feed_articles([feed], states, settings)
        assert isinstance(article, Article) and article.title == "Hackers breach a software company"
        assert states[feed].etag == '"real-1"'
        assert list(iter_feed_articles([feed], states, settings)) == []
        # Without allow_private the loopback feed is refused like any internal address.
        (error,) = iter_feed_articles([feed], {}, Settings(host_delay=0))
        assert isinstance(error, PrivateAddressError)
    finally:
        server.shutdown()
        server.server_close()
