from __future__ import annotations

import socket

import httpx
import pytest

from cyberops.errors import FetchError, PrivateAddressError, TooLargeError
from cyberops.ingest.fetch import Pacer, fetch
from cyberops.settings import Settings

PUBLIC_IP = "93.184.216.34"


def public_resolver(host: str) -> list[str]:
    return [PUBLIC_IP]


def mock_client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def pacer(self, host_delay: float = 0.0) -> Pacer:
        return Pacer(host_delay, clock=self, sleep=self.sleep)


def test_fetches_body_type_and_charset() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"<p>Bonjour</p>", headers={"Content-Type": "text/html; charset=ISO-8859-1"})

    page = fetch("https://news.example/a", Settings(), client=mock_client(handler), resolve=public_resolver)
    assert page.content == b"<p>Bonjour</p>"
    assert page.content_type == "text/html"
    assert page.charset == "iso-8859-1"
    assert page.final_url == "https://news.example/a"


def test_redirects_are_followed_and_each_hop_checked() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(301, headers={"Location": "https://other.example/end"})
        return httpx.Response(200, content=b"ok")

    page = fetch("https://news.example/start", Settings(), client=mock_client(handler), resolve=public_resolver)
    assert page.final_url == "https://other.example/end"

    def internal_redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/meta-data"})

    with pytest.raises(PrivateAddressError, match="169.254.169.254"):
        fetch("https://news.example/start", Settings(), client=mock_client(internal_redirect), resolve=public_resolver)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/admin",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(PrivateAddressError, match="allow-private"):
        fetch(url, Settings(), client=mock_client(lambda r: httpx.Response(200)), resolve=public_resolver)


def test_hostname_resolving_to_private_address_is_refused() -> None:
    with pytest.raises(PrivateAddressError, match="192.168.1.5"):
        fetch(
            "https://intranet.example/",
            Settings(),
            client=mock_client(lambda r: httpx.Response(200)),
            resolve=lambda host: [PUBLIC_IP, "192.168.1.5"],
        )


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch(url, Settings(), resolve=public_resolver)


def test_dns_failure_is_a_fetch_error() -> None:
    def failing(host: str) -> list[str]:
        raise socket.gaierror(-2, "Name or service not known")

    with pytest.raises(FetchError, match="cannot resolve"):
        fetch("https://no-such-host.example/", Settings(), resolve=failing)


@pytest.mark.parametrize("status", [404, 500, 503])
def test_http_errors_carry_the_status(status: int) -> None:
    with pytest.raises(FetchError, match=str(status)):
        fetch(
            "https://news.example/",
            Settings(),
            client=mock_client(lambda r: httpx.Response(status)),
            resolve=public_resolver,
            pacer=FakeClock().pacer(),
        )


def scripted(*responses: httpx.Response | Exception):
    """A handler answering each request with the next scripted response (or raising it); records the requests."""
    queue = list(responses)
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    handler.requests = requests  # type: ignore[attr-defined]
    return handler


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_transient_status_is_retried_with_exponential_backoff(status: int) -> None:
    handler = scripted(httpx.Response(status), httpx.Response(status), httpx.Response(200, content=b"ok"))
    clock = FakeClock()
    page = fetch(
        "https://news.example/a",
        Settings(fetch_retries=3, fetch_backoff=2.0),
        client=mock_client(handler),
        resolve=public_resolver,
        pacer=clock.pacer(),
    )
    assert page.content == b"ok"
    assert len(handler.requests) == 3
    assert clock.sleeps == [2.0, 4.0]


def test_connect_errors_are_retried_then_reported_with_the_attempts() -> None:
    refused = httpx.ConnectError("Connection refused")
    handler = scripted(refused, refused, refused)
    clock = FakeClock()
    with pytest.raises(FetchError, match=r"could not connect.*gave up after 3 attempts"):
        fetch(
            "https://news.example/a",
            Settings(fetch_retries=2, fetch_backoff=0.5),
            client=mock_client(handler),
            resolve=public_resolver,
            pacer=clock.pacer(),
        )
    assert len(handler.requests) == 3
    assert clock.sleeps == [0.5, 1.0]


def test_client_errors_and_read_timeouts_are_not_retried() -> None:
    clock = FakeClock()
    handler = scripted(httpx.Response(404))
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch("https://news.example/a", Settings(), client=mock_client(handler), resolve=public_resolver, pacer=clock.pacer())
    timeout = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(FetchError, match="timed out"):
        fetch("https://news.example/a", Settings(), client=mock_client(timeout), resolve=public_resolver, pacer=clock.pacer())
    assert len(handler.requests) == len(timeout.requests) == 1
    assert clock.sleeps == []


def test_retry_after_seconds_is_honoured() -> None:
    handler = scripted(httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, content=b"ok"))
    clock = FakeClock()
    fetch("https://news.example/a", Settings(), client=mock_client(handler), resolve=public_resolver, pacer=clock.pacer())
    assert clock.sleeps == [7.0]


def test_retry_after_as_http_date_is_honoured() -> None:
    handler = scripted(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), httpx.Response(200, content=b"ok")
    )
    clock = FakeClock()
    # A date in the past means "now": the retry goes at once.
    fetch("https://news.example/a", Settings(), client=mock_client(handler), resolve=public_resolver, pacer=clock.pacer())
    assert clock.sleeps == []
    assert len(handler.requests) == 2


def test_retry_after_beyond_the_bound_stops_at_once() -> None:
    handler = scripted(httpx.Response(503, headers={"Retry-After": "3600"}), httpx.Response(200))
    clock = FakeClock()
    with pytest.raises(FetchError, match="retry after 3600s, more than max_retry_after"):
        fetch(
            "https://news.example/a",
            Settings(max_retry_after=60),
            client=mock_client(handler),
            resolve=public_resolver,
            pacer=clock.pacer(),
        )
    assert len(handler.requests) == 1
    assert clock.sleeps == []


def test_no_retries_when_disabled() -> None:
    handler = scripted(httpx.Response(503), httpx.Response(200))
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch(
            "https://news.example/a",
            Settings(fetch_retries=0),
            client=mock_client(handler),
            resolve=public_resolver,
            pacer=FakeClock().pacer(),
        )
    assert len(handler.requests) == 1


def test_requests_to_one_host_are_spaced_and_other_hosts_are_not_held_up() -> None:
    clock = FakeClock()
    pacer = clock.pacer(host_delay=3.0)
    client = mock_client(lambda request: httpx.Response(200, content=b"ok"))
    times: list[float] = []
    for url in ["https://a.example/1", "https://b.example/1", "https://A.example/2"]:
        fetch(url, Settings(), client=client, resolve=public_resolver, pacer=pacer)
        times.append(clock.now)
    # a.example waits 3 s after its first request; b.example went in between without waiting.
    assert clock.sleeps == [3.0]
    assert times == [1000.0, 1000.0, 1003.0]
    clock.now += 10
    fetch("https://a.example/3", Settings(), client=client, resolve=public_resolver, pacer=pacer)
    assert clock.sleeps == [3.0]


def test_redirect_hops_to_the_same_host_are_spaced_too() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return httpx.Response(200, content=b"ok")

    clock = FakeClock()
    fetch("https://a.example/old", Settings(), client=mock_client(handler), resolve=public_resolver, pacer=clock.pacer(2.0))
    assert clock.sleeps == [2.0]


def test_conditional_get_sends_validators_and_returns_304_without_body() -> None:
    handler = scripted(httpx.Response(304, headers={"ETag": '"v1"'}))
    page = fetch(
        "https://news.example/feed",
        Settings(),
        client=mock_client(handler),
        resolve=public_resolver,
        headers={"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 19 Feb 2019 10:00:00 GMT"},
        pacer=FakeClock().pacer(),
    )
    assert page.status == 304
    assert page.content == b""
    sent = handler.requests[0].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 19 Feb 2019 10:00:00 GMT"


def test_validators_of_the_response_are_returned() -> None:
    handler = scripted(
        httpx.Response(200, content=b"<rss/>", headers={"ETag": '"abc"', "Last-Modified": "Tue, 19 Feb 2019 10:00:00 GMT"})
    )
    page = fetch("https://news.example/feed", Settings(), client=mock_client(handler), resolve=public_resolver)
    assert (page.status, page.etag, page.last_modified) == (200, '"abc"', "Tue, 19 Feb 2019 10:00:00 GMT")


def test_body_above_max_bytes_is_cut() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 5000)

    with pytest.raises(TooLargeError):
        fetch("https://news.example/", Settings(max_bytes=1000), client=mock_client(handler), resolve=public_resolver)


def test_streamed_body_without_length_is_cut() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 600, b"x" * 600, b"x" * 600]))

    with pytest.raises(TooLargeError, match="exceeds"):
        fetch("https://news.example/", Settings(max_bytes=1000), client=mock_client(handler), resolve=public_resolver)


@pytest.mark.network
def test_real_local_server_with_allow_private(local_server: str) -> None:
    page = fetch(f"{local_server}/moved", Settings(allow_private=True), pacer=FakeClock().pacer())
    assert page.final_url == f"{local_server}/article"
    assert b"Le minist" in page.content
    assert page.charset == "utf-8"


@pytest.mark.network
def test_real_local_server_is_refused_without_allow_private(local_server: str) -> None:
    with pytest.raises(PrivateAddressError):
        fetch(f"{local_server}/article", Settings())


@pytest.mark.network
def test_redirect_loop_is_reported(local_server: str) -> None:
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(f"{local_server}/loop-a", Settings(allow_private=True), pacer=FakeClock().pacer())


@pytest.mark.network
def test_too_many_redirects(local_server: str) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch(f"{local_server}/hop/0", Settings(allow_private=True, max_redirects=3), pacer=FakeClock().pacer())


@pytest.mark.network
def test_local_404_is_a_fetch_error(local_server: str) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(f"{local_server}/missing", Settings(allow_private=True))


@pytest.mark.network
def test_local_body_over_limit(local_server: str) -> None:
    with pytest.raises(TooLargeError):
        fetch(f"{local_server}/big", Settings(allow_private=True, max_bytes=10_000))


@pytest.mark.network
def test_unreachable_url_is_a_fetch_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port was free a moment ago and nothing listens on it now.
    clock = FakeClock()
    with pytest.raises(FetchError, match="could not connect.*gave up after 3 attempts"):
        fetch(
            f"http://127.0.0.1:{port}/",
            Settings(allow_private=True, fetch_timeout=5, fetch_retries=2, fetch_backoff=1.0),
            pacer=clock.pacer(),
        )
    assert clock.sleeps == [1.0, 2.0]
