"""The application factory: ``create_app(settings)`` builds the FastAPI app over one store.

Routers are included inside :func:`create_app`;
adding one (the TAXII 2.1 API under ``/taxii2/``) is one ``include_router``
line there. Security headers are set on every response; errors are JSON
with a ``message`` under ``/api`` and an escaped HTML page elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cyberops import __version__
from cyberops.errors import CyberopsError, InputError
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings
from cyberops.store import RecordStore, StoreError
from cyberops.web import api, pages, taxii
from cyberops.web.config import WebSettings
from cyberops.web.deps import AnalyzerService

log = logging.getLogger(__name__)

# No inline script or style anywhere: the pages load /static files only, so an
# injected <script> or on*= handler could not run even if escaping ever failed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles on its elements; its scripts still come from /static only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Pure ASGI middleware: adds the security headers to every response that does not set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings | None = None,
    web: WebSettings | None = None,
    *,
    store: RecordStore | None = None,
    analyzer: Analyzer | None = None,
) -> FastAPI:
    """The app over ``store`` (or the database of ``settings``); ``analyzer`` is built on first use if not given."""
    settings = settings or Settings()
    web = web or WebSettings()
    own_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_store:
            app.state.store.close()

    app = FastAPI(
        title="cyberops",
        version=__version__,
        description="News about cyber operations as evidence-backed records: search, dossiers, analysis.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.web = web
    app.state.store = store if store is not None else RecordStore.open(settings.database_url)
    app.state.analyzer = AnalyzerService(settings, analyzer)
    app.state.templates = pages.build_templates()

    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=str(files("cyberops.web") / "static")), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(taxii.build_router())
    app.add_api_route("/docs", _docs, include_in_schema=False, response_class=HTMLResponse)
    _add_error_handlers(app)
    return app


def _docs(request: Request) -> HTMLResponse:
    """Swagger UI from the package's own copy (no CDN), started by a static script."""
    return request.app.state.templates.TemplateResponse(request, "docs.html", {})


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", "")


def _error(request: Request, status: int, message: str, **extra: object) -> Response:
    if _wants_json(request):
        return JSONResponse({"message": message, **extra}, status_code=status)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html", {"status": status, "message": message}, status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        response = _error(request, exc.status_code, message)
        if exc.status_code == 401:
            response.headers["www-authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in error.get("loc", ())), "problem": error.get("msg", "")}
            for error in exc.errors()
        ]
        first = problems[0] if problems else {"where": "request", "problem": "invalid"}
        message = f"{first['where']}: {first['problem']}"
        return _error(request, 422, message, errors=problems)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(CyberopsError)
    async def cyberops_error(request: Request, exc: CyberopsError) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _error(request, 500, f"internal error ({type(exc).__name__}); see the server log")
