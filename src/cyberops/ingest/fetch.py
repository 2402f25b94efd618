"""Safe HTTP fetching of untrusted URLs.

A URL from a feed or a user can point anywhere, including at the network
cyberops runs in. So: http(s) only; every host is resolved and refused if any
of its addresses is private, loopback, link-local, multicast, reserved or
unspecified (unless ``settings.allow_private``); redirects are followed by
hand so each hop is checked again; the body is streamed and cut at
``settings.max_bytes``.

The resolver is checked separately from the connection httpx makes, so a
DNS answer that changes between the two (DNS rebinding) is not prevented;
run cyberops behind an egress proxy when that matters.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urljoin, urlsplit

import httpx

from cyberops.errors import FetchError, PrivateAddressError, TooLargeError
from cyberops.settings import Settings

Resolver = Callable[[str], Iterable[str]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    content: bytes
    content_type: str | None
    charset: str | None


def fetch(
    url: str,
    settings: Settings,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
) -> FetchedPage:
    """GET ``url`` under the caps of ``settings``; see the module docstring.

    ``client`` and ``resolve`` are injectable for tests (an httpx
    ``MockTransport`` and a fake resolver); by default a fresh client and
    ``socket.getaddrinfo`` are used.
    """
    resolve = resolve or _resolve_with_getaddrinfo
    own_client = client is None
    if client is None:
        client = httpx.Client(
            timeout=settings.fetch_timeout,
            follow_redirects=False,
            headers={"User-Agent": settings.user_agent},
        )
    try:
        return _fetch_following_redirects(url, settings, client, resolve)
    finally:
        if own_client:
            client.close()


def _fetch_following_redirects(url: str, settings: Settings, client: httpx.Client, resolve: Resolver) -> FetchedPage:
    seen: list[str] = []
    current = url
    while True:
        _check_url(current, url, settings, resolve)
        if current in seen:
            chain = " -> ".join([*seen, current])
            raise FetchError(url, f"redirect loop ({chain}); the site is misconfigured")
        seen.append(current)
        if len(seen) > settings.max_redirects + 1:
            raise FetchError(url, f"more than {settings.max_redirects} redirects; raise --max-redirects")
        try:
            with client.stream("GET", current, follow_redirects=False) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise FetchError(url, f"HTTP {response.status_code} {response.reason_phrase} from {current}")
                content = _read_capped(response, url, settings.max_bytes)
                content_type = response.headers.get("content-type")
        except httpx.TimeoutException as error:
            raise FetchError(url, f"timed out after {settings.fetch_timeout}s ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise FetchError(url, f"could not connect: {error or type(error).__name__}") from error
        return FetchedPage(url, current, content, _mime_type(content_type), _charset(content_type))


def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLargeError(url, f"the server announces {int(declared):,} bytes, over the limit of {max_bytes:,}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(url, f"the body exceeds the limit of {max_bytes:,} bytes; raise --max-bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _check_url(current: str, url: str, settings: Settings, resolve: Resolver) -> None:
    parts = urlsplit(current)
    if parts.scheme not in ("http", "https"):
        raise FetchError(url, f"only http and https URLs can be fetched, not {parts.scheme or 'a bare path'!r}")
    host = parts.hostname
    if not host:
        raise FetchError(url, f"no host in {current!r}")
    if settings.allow_private:
        return
    for address in _addresses(host, url, resolve):
        if _is_private(address):
            raise PrivateAddressError(
                url, f"{host} resolves to {address}, a non-public address; pass --allow-private to fetch it"
            )


def _addresses(host: str, url: str, resolve: Resolver) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        addresses = list(resolve(host))
    except OSError as error:
        raise FetchError(url, f"cannot resolve host {host!r} ({error}); check the URL or the network") from error
    if not addresses:
        raise FetchError(url, f"host {host!r} has no address")
    return addresses


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _resolve_with_getaddrinfo(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def _parsed_content_type(content_type: str | None) -> Message:
    message = Message()
    if content_type:
        message["content-type"] = content_type
    return message


def _mime_type(content_type: str | None) -> str | None:
    return _parsed_content_type(content_type).get_content_type() if content_type else None


def _charset(content_type: str | None) -> str | None:
    charset = _parsed_content_type(content_type).get_param("charset") if content_type else None
    return charset.strip().lower() if isinstance(charset, str) and charset.strip() else None
