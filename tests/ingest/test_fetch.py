from __future__ import annotations

import socket

import httpx
import pytest

from cyberops.errors import FetchError, PrivateAddressError, TooLargeError
from cyberops.ingest.fetch import fetch
from cyberops.settings import Settings

PUBLIC_IP = "93.184.216.34"


def public_resolver(host: str) -> list[str]:
    return [PUBLIC_IP]


def mock_client(handler) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


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
        )


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
    page = fetch(f"{local_server}/moved", Settings(allow_private=True))
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
        fetch(f"{local_server}/loop-a", Settings(allow_private=True))


@pytest.mark.network
def test_too_many_redirects(local_server: str) -> None:
    with pytest.raises(FetchError, match="more than 3 redirects"):
        fetch(f"{local_server}/hop/0", Settings(allow_private=True, max_redirects=3))


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
    with pytest.raises(FetchError, match="could not connect"):
        fetch(f"http://127.0.0.1:{port}/", Settings(allow_private=True, fetch_timeout=5))
