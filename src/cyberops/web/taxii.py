"""The TAXII 2.1 read API under ``/taxii2/``: discovery, API root, collections, objects, versions, manifest.

Routes translate HTTP and call :mod:`cyberops.export.taxii`: they negotiate
the media type (``application/taxii+json;version=2.1``, else 406), find who
is calling (an API token as HTTP Basic password, Bearer or ``Token``), parse
the query parameters, and answer TAXII error bodies (``title``,
``http_status``, ``description``) for every refusal. The API is read-only:
other methods get 405. See ``docs/taxii.md``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute

from cyberops.export.taxii import (
    API_ROOT,
    COLLECTIONS,
    MEDIA_TAXII,
    CollectionCache,
    CollectionIndex,
    ObjectFilter,
    Page,
    TaxiiConfig,
    TaxiiError,
    can_read,
    find_collection,
    list_entries,
    manifest_envelope,
    objects_envelope,
    parse_limit,
    versions_resource,
)
from cyberops.store import RecordStore
from cyberops.web.deps import get_store
from cyberops.web.tokens import ROLES, check_token

# Basic first: it is what TAXII clients (taxii2-client, OpenCTI, MISP) send, with the token as password.
CHALLENGE = 'Basic realm="cyberops TAXII", Bearer'


class TaxiiResponse(JSONResponse):
    media_type = MEDIA_TAXII


def taxii_error(exc: TaxiiError) -> TaxiiResponse:
    headers = {"WWW-Authenticate": CHALLENGE} if exc.status == 401 else None
    return TaxiiResponse(exc.body(), status_code=exc.status, headers=headers)


class TaxiiRoute(APIRoute):
    """A route whose refusals, raised anywhere in its dependencies or body, become TAXII error bodies."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except TaxiiError as exc:
                return taxii_error(exc)

        return guarded


# -- content negotiation -------------------------------------------------------------------


def accepts_taxii(header: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 JSON; a missing header admits anything (RFC 9110)."""
    if header is None or not header.strip():
        return True
    for item in header.split(","):
        media, *raw_params = (part.strip() for part in item.split(";"))
        params = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        try:
            if float(params.pop("q", "1")) <= 0:
                continue
        except ValueError:
            continue
        media = media.lower()
        if media in ("*/*", "application/*"):
            return True
        # No version asks for the newest the server speaks, which is 2.1.
        if media == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
    return False


def negotiate(request: Request) -> None:
    if not accepts_taxii(request.headers.get("accept")):
        raise TaxiiError(
            406,
            "Not Acceptable",
            f"this server answers {MEDIA_TAXII} only; send 'Accept: {MEDIA_TAXII}'",
        )


# -- who is calling ------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The roles of the request's token; no roles and ``authenticated`` false for an anonymous request."""

    grants: frozenset[str]
    authenticated: bool


def credentials(header: str) -> str | None:
    """The API token in an Authorization header: Bearer, Token (taxii2-client's TokenAuth) or Basic."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in ("bearer", "token"):
        return value or None
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        # The token is the password; clients that only take a user name may send it there.
        return password or user or None
    return None


def caller(request: Request, store: Annotated[RecordStore, Depends(get_store)]) -> Caller:
    header = request.headers.get("authorization")
    if header is None:
        web = getattr(request.app.state, "web", None)
        if web is not None and web.reads_need_token:
            raise TaxiiError(401, "Unauthorized", "this server needs a token to read: Basic with the token as password")
        return Caller(frozenset(), authenticated=False)
    token = credentials(header)
    info = check_token(store.engine, token) if token else None
    if info is None:
        # A wrong token is refused, not read as anonymous: the client believes it sent a valid one.
        raise TaxiiError(401, "Unauthorized", "unknown token; make one with `cyberops token create --role reader`")
    return Caller(frozenset(role for role in ROLES if info.allows(role)), authenticated=True)


CallerDep = Annotated[Caller, Depends(caller)]
StoreDep = Annotated[RecordStore, Depends(get_store)]


def _params(request: Request) -> dict[str, list[str]]:
    return {name: request.query_params.getlist(name) for name in request.query_params}


def _page_response(page: Page, body: dict[str, Any]) -> TaxiiResponse:
    return TaxiiResponse(body, headers=page.headers)


# -- the router ----------------------------------------------------------------------------


def build_router(config: TaxiiConfig | None = None) -> APIRouter:
    """The ``/taxii2/`` routes; ``config`` defaults to :meth:`TaxiiConfig.from_env`."""
    config = config or TaxiiConfig.from_env()
    cache = CollectionCache(config.policy)
    router = APIRouter(
        prefix="/taxii2",
        route_class=TaxiiRoute,
        dependencies=[Depends(negotiate)],
        include_in_schema=False,  # TAXII is specified by OASIS; it is not part of the cyberops REST API
    )

    def readable_index(store: RecordStore, key: str, who: Caller) -> CollectionIndex:
        collection = find_collection(key)
        if collection is None:
            raise TaxiiError(404, "Collection not found", f"no collection {key!r}; list them under collections/")
        if not can_read(collection, who.grants):
            token = "an analyst token" if collection.required_role == "analyst" else "a reader token"
            needs = f"{collection.title} needs {token}"
            if not who.authenticated:
                raise TaxiiError(401, "Unauthorized", f"{needs}; send it as the Basic password")
            raise TaxiiError(403, "Forbidden", f"{needs}; this token's role cannot read it")
        return cache.index(store.engine, collection.level)

    def page_of(index: CollectionIndex, params: dict[str, list[str]]) -> Page:
        limit = parse_limit(params.get("limit", []), config)
        return list_entries(index, ObjectFilter.from_params(params), limit, _next(params))

    def known_object(index: CollectionIndex, object_id: str) -> None:
        if object_id not in index.by_id:
            raise TaxiiError(404, "Object not found", f"no object {object_id} in this collection")

    @router.get("/", name="taxii_discovery")
    def discovery(request: Request, who: CallerDep) -> TaxiiResponse:
        root = str(request.url_for("taxii_api_root"))
        return TaxiiResponse(
            {
                "title": "cyberops TAXII 2.1",
                "description": "STIX 2.1 objects of the articles cyberops has analyzed, one collection per TLP level.",
                "default": root,
                "api_roots": [root],
            }
        )

    @router.get(f"/{API_ROOT}/", name="taxii_api_root")
    def api_root(who: CallerDep) -> TaxiiResponse:
        return TaxiiResponse(
            {
                "title": "cyberops",
                "description": "Collections per TLP level; read-only.",
                "versions": [MEDIA_TAXII],
                # Read-only: no request body is accepted.
                "max_content_length": 0,
            }
        )

    @router.get(f"/{API_ROOT}/collections/")
    def collections(who: CallerDep) -> TaxiiResponse:
        return TaxiiResponse({"collections": [c.resource(can_read(c, who.grants)) for c in COLLECTIONS]})

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/")
    def collection(collection_id: str, who: CallerDep) -> TaxiiResponse:
        found = find_collection(collection_id)
        if found is None:
            raise TaxiiError(
                404, "Collection not found", f"no collection {collection_id!r}; list them under collections/"
            )
        return TaxiiResponse(found.resource(can_read(found, who.grants)))

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/")
    def objects(request: Request, collection_id: str, who: CallerDep, store: StoreDep) -> TaxiiResponse:
        index = readable_index(store, collection_id, who)
        params = _params(request)
        page = page_of(index, params)
        return _page_response(page, objects_envelope(page))

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/manifest/")
    def manifest(request: Request, collection_id: str, who: CallerDep, store: StoreDep) -> TaxiiResponse:
        index = readable_index(store, collection_id, who)
        params = _params(request)
        page = page_of(index, params)
        return _page_response(page, manifest_envelope(page))

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
    def get_object(
        request: Request, collection_id: str, object_id: str, who: CallerDep, store: StoreDep
    ) -> TaxiiResponse:
        index = readable_index(store, collection_id, who)
        known_object(index, object_id)
        params = _params(request)
        params["match[id]"] = [object_id]
        page = page_of(index, params)
        return _page_response(page, objects_envelope(page))

    @router.get(f"/{API_ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
    def versions(
        request: Request, collection_id: str, object_id: str, who: CallerDep, store: StoreDep
    ) -> TaxiiResponse:
        index = readable_index(store, collection_id, who)
        known_object(index, object_id)
        params = _params(request)
        # Versions lists every version; match[version] is not a filter of this endpoint.
        params = {
            "match[id]": [object_id],
            **{k: v for k, v in params.items() if k in ("added_after", "limit", "next")},
        }
        page = page_of(index, params)
        return _page_response(page, versions_resource(page))

    @router.get(f"/{API_ROOT}/status/{{status_id}}/")
    def status(status_id: str, who: CallerDep) -> TaxiiResponse:
        raise TaxiiError(404, "Status not found", "this server accepts no writes, so it has no status resources")

    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def elsewhere(request: Request, rest: str) -> Response:
        if request.method != "GET":
            raise TaxiiError(405, "Method Not Allowed", "this TAXII server is read-only: use GET")
        if not request.url.path.endswith("/"):
            # Every TAXII URL ends with a slash; lead a hand-typed one there.
            return RedirectResponse(request.url.replace(path=request.url.path + "/"), status_code=307)
        raise TaxiiError(404, "Not Found", "no TAXII resource here; start from the discovery resource /taxii2/")

    return router


def _next(params: dict[str, list[str]]) -> str | None:
    values = params.get("next") or []
    return values[-1] if values else None
