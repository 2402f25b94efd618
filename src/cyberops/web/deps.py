"""Typed dependencies: the store, the analyzer, settings, and the token checks, all taken from the app's state.

Everything here is built once by :func:`cyberops.web.app.create_app` and
handed to routes through ``Annotated`` aliases, so a route's signature says
what it uses and a test can build an app around any store.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.web.config import WebSettings
from cyberops.web.tokens import TokenInfo, check_token

TOKEN_COOKIE = "cyberops_token"


class AnalyzerService:
    """One analyzer for the process; analysis is serialized because the spaCy pipelines are shared."""

    def __init__(self, settings: Settings, analyzer: Analyzer | None = None) -> None:
        self._settings = settings
        self._analyzer = analyzer
        self._lock = threading.Lock()

    def analyzer(self) -> Analyzer:
        with self._lock:
            if self._analyzer is None:
                self._analyzer = Analyzer(self._settings)
            return self._analyzer

    @property
    def lock(self) -> threading.Lock:
        return self._lock


def get_store(request: Request) -> RecordStore:
    return request.app.state.store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_web_settings(request: Request) -> WebSettings:
    return request.app.state.web


def get_analyzer(request: Request) -> AnalyzerService:
    return request.app.state.analyzer


StoreDep = Annotated[RecordStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WebSettingsDep = Annotated[WebSettings, Depends(get_web_settings)]
AnalyzerDep = Annotated[AnalyzerService, Depends(get_analyzer)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def token_info(store: RecordStore, token: str | None) -> TokenInfo | None:
    return check_token(store.engine, token) if token else None


def require_reader(request: Request, store: StoreDep, web: WebSettingsDep) -> TokenInfo | None:
    """Reads are open unless configured otherwise; then a reader or analyst token (header or cookie) is needed."""
    if not web.reads_need_token:
        return None
    # The cookie is accepted for reads only (pages in a browser); writes need the header, so a
    # cross-site form cannot write with a visitor's cookie.
    info = token_info(store, bearer_token(request) or request.cookies.get(TOKEN_COOKIE))
    if info is None or not info.allows("reader"):
        raise HTTPException(401, "this server needs a token to read; send 'Authorization: Bearer TOKEN'")
    return info


def require_analyst(request: Request, store: StoreDep) -> TokenInfo:
    """Writes need an analyst token in the Authorization header."""
    info = token_info(store, bearer_token(request))
    if info is None:
        raise HTTPException(
            401, "writing needs an analyst token: 'Authorization: Bearer TOKEN' (cyberops token create)"
        )
    if not info.allows("analyst"):
        raise HTTPException(403, "this token is a reader token; writing needs one made with --role analyst")
    return info


Reader = Annotated[TokenInfo | None, Depends(require_reader)]
Analyst = Annotated[TokenInfo, Depends(require_analyst)]
