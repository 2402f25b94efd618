"""Safe HTTP fetching of untrusted URLs.

A URL from a feed or a user can point anywhere, including at the network
cyberops runs in. So: http(s) only; every host is resolved and refused if any
of its addresses is private, loopback, link-local, multicast, reserved or
unspecified (unless ``settings.allow_private``); redirects are followed by
hand so each hop is checked again; the body is streamed and cut at
``settings.max_bytes``.

Politeness and transient failures: a :class:`Pacer` spaces requests to the
same host by ``settings.host_delay`` seconds, and a connect error, a 5xx or a
429 is retried up to ``settings.fetch_retries`` times after an exponential
backoff, or after the server's ``Retry-After`` when that is no longer than
``settings.max_retry_after`` (a server asking for more is not retried early).
Share one pacer between the fetches of a run; its clock and sleep are
injectable so tests do not wait.

Conditional GET: pass ``headers`` (``If-None-Match``, ``If-Modified-Since``);
a ``304 Not Modified`` comes back as a page with ``status == 304`` and no body.

The resolver is checked separately from the connection httpx makes, so a
DNS answer that changes between the two (DNS rebinding) is not prevented;
run cyberops behind an egress proxy when that matters.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx

from cyberops.errors import FetchError, PrivateAddressError, TooLargeError
from cyberops.settings import Settings

Resolver = Callable[[str], Iterable[str]]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
NOT_MODIFIED = 304


@dataclass(frozen=True)
class FetchedPage:
    url: str
    final_url: str
    content: bytes
    content_type: str | None
    charset: str | None
    status: int = 200
    # Validators for the next conditional GET of the same URL.
    etag: str | None = None
    last_modified: str | None = None


class Pacer:
    """Spaces requests to one host by ``host_delay`` seconds and does the sleeping that retries need.

    One pacer serves a whole run (thread-safe); ``clock`` and ``sleep`` are
    injectable so that a test can check the delays without waiting them.
    """

    def __init__(
        self,
        host_delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host_delay = host_delay
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait_for(self, host: str) -> None:
        """Return when a request to ``host`` is polite: ``host_delay`` after the previous one."""
        # The slot is reserved under the lock and slept outside it, so threads queue up per host
        # without one host's wait holding up the others.
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + self.host_delay
        self.sleep(slot - now)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)


def new_client(settings: Settings) -> httpx.Client:
    """An httpx client for :func:`fetch`: the timeout and user agent of ``settings``, redirects by hand."""
    return httpx.Client(
        timeout=settings.fetch_timeout,
        follow_redirects=False,
        headers={"User-Agent": settings.user_agent},
    )


def fetch(
    url: str,
    settings: Settings,
    client: httpx.Client | None = None,
    resolve: Resolver | None = None,
    headers: Mapping[str, str] | None = None,
    pacer: Pacer | None = None,
) -> FetchedPage:
    """GET ``url`` under the caps of ``settings``; see the module docstring.

    ``client`` and ``resolve`` are injectable for tests (an httpx
    ``MockTransport`` and a fake resolver); by default a fresh client and
    ``socket.getaddrinfo`` are used. ``headers`` are added to every request
    (conditional GET); ``pacer`` should be shared by the fetches of one run,
    a fresh one only spaces the hops of this fetch.
    """
    resolve = resolve or _resolve_with_getaddrinfo
    pacer = pacer or Pacer(settings.host_delay)
    own_client = client is None
    if client is None:
        client = new_client(settings)
    try:
        return _fetch_with_retries(url, settings, client, resolve, headers or {}, pacer)
    finally:
        if own_client:
            client.close()


class _TransientError(FetchError):
    """A failure worth trying again: a connect error, a 5xx or a 429."""

    def __init__(self, source: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(source, message)
        self.retry_after = retry_after


def _fetch_with_retries(
    url: str, settings: Settings, client: httpx.Client, resolve: Resolver, headers: Mapping[str, str], pacer: Pacer
) -> FetchedPage:
    attempt = 0
    while True:
        try:
            return _fetch_following_redirects(url, settings, client, resolve, headers, pacer)
        except _TransientError as error:
            if error.retry_after is not None and error.retry_after > settings.max_retry_after:
                raise FetchError(
                    url,
                    f"{error.message}; the server asks to retry after {error.retry_after:.0f}s, "
                    f"more than max_retry_after ({settings.max_retry_after:.0f}s)",
                ) from error
            if attempt >= settings.fetch_retries:
                if attempt == 0:
                    raise
                raise FetchError(url, f"{error.message} (gave up after {attempt + 1} attempts)") from error
            backoff = settings.fetch_backoff * 2**attempt
            pacer.sleep(error.retry_after if error.retry_after is not None else backoff)
            attempt += 1


def _fetch_following_redirects(
    url: str, settings: Settings, client: httpx.Client, resolve: Resolver, headers: Mapping[str, str], pacer: Pacer
) -> FetchedPage:
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
        pacer.wait_for((urlsplit(current).hostname or "").lower())
        try:
            with client.stream("GET", current, headers=dict(headers), follow_redirects=False) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if status == 429 or status >= 500:
                    raise _TransientError(
                        url,
                        f"HTTP {status} {response.reason_phrase} from {current}",
                        _retry_after(response.headers.get("retry-after")),
                    )
                if status >= 400:
                    raise FetchError(url, f"HTTP {status} {response.reason_phrase} from {current}")
                content = b"" if status == NOT_MODIFIED else _read_capped(response, url, settings.max_bytes)
                content_type = response.headers.get("content-type")
                etag = response.headers.get("etag")
                last_modified = response.headers.get("last-modified")
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            # Nothing was sent yet, so trying again cannot do anything twice.
            raise _TransientError(url, f"could not connect: {error or type(error).__name__}") from error
        except httpx.TimeoutException as error:
            raise FetchError(url, f"timed out after {settings.fetch_timeout}s ({type(error).__name__})") from error
        except httpx.HTTPError as error:
            raise FetchError(url, f"could not connect: {error or type(error).__name__}") from error
        return FetchedPage(
            url, current, content, _mime_type(content_type), _charset(content_type), status, etag, last_modified
        )


def _retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


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


def content_type_parts(content_type: str | None) -> tuple[str | None, str | None]:
    """The media type and charset of a ``Content-Type`` value, in lower case: ``("text/html", "utf-8")``."""
    return _mime_type(content_type), _charset(content_type)


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
