"""Shared fixtures for ingest tests: example pages and a real HTTP server on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ARTICLE_HTML = """<!doctype html><html><head><meta charset="utf-8">
<title>Le ministère dément toute cyberattaque</title>
<meta property="article:published_time" content="2019-02-19T10:00:00+01:00">
</head><body>
<nav><a href="/">Accueil</a> <a href="/monde">Monde</a> <a href="/abo">S'abonner</a></nav>
<article>
<h1>Le ministère dément toute cyberattaque</h1>
<p>Le ministère des Affaires étrangères a rejeté mardi les accusations de piratage informatique
visant ses services, les qualifiant de « sans fondement » lors d'une conférence de presse à Paris.</p>
<p>Selon plusieurs rapports publiés la semaine dernière, des pirates auraient accédé au réseau
d'une entreprise de logiciels pour y dérober des secrets industriels et des données de clients.</p>
<p>« Nous appelons au dialogue et à la coopération internationale », a ajouté la porte-parole,
qui a demandé aux pays concernés de cesser de diffuser des informations erronées.</p>
</article>
<footer>Mentions légales · Contact · Plan du site</footer>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = self.path
        if path == "/article":
            self._send(200, ARTICLE_HTML.encode("utf-8"), "text/html; charset=utf-8")
        elif path == "/loop-a":
            self._redirect("/loop-b")
        elif path == "/loop-b":
            self._redirect("/loop-a")
        elif path.startswith("/hop/"):
            self._redirect(f"/hop/{int(path.rsplit('/', 1)[1]) + 1}")
        elif path == "/moved":
            self._redirect("/article")
        elif path == "/big":
            self._send(200, b"<p>" + b"x" * 50_000 + b"</p>", "text/html")
        else:
            self._send(404, b"not here", "text/plain")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def article_html() -> str:
    """A small French news page with navigation and footer around the article."""
    return ARTICLE_HTML


@pytest.fixture
def local_server() -> Iterator[str]:
    """Base URL of a real HTTP server on 127.0.0.1, stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
