"""The HTML pages: search, article (with claim detail), dossiers, actors, states, the matrix, analyze.

Each page calls the same function as its JSON twin in :mod:`cyberops.web.api`
and hands the result to a Jinja2 template (autoescaped). htmx swaps in
fragments (a claim's detail, an analysis result); every fragment also has a
plain link or form that works without JavaScript.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from cyberops.errors import InputError
from cyberops.store import StoreError
from cyberops.web import charts, queries, views
from cyberops.web.deps import AnalyzerDep, Reader, SettingsDep, StoreDep, WebSettingsDep, token_info
from cyberops.web.params import DateParams, Limit, Offset, SearchParams, State, Text

router = APIRouter(include_in_schema=False)

FACET_PARAMS = {
    "language": "lang",
    "claim_kind": "kind",
    "incident_type": "type",
    "speaker_state": "state",
    "subject_state": "state",
    "actor": "actor",
    "outlet": "outlet",
}
FACET_TITLES = {
    "language": "Language",
    "claim_kind": "Claim kind",
    "incident_type": "Incident type",
    "speaker_state": "Speaker state",
    "subject_state": "Subject state",
    "actor": "Actor",
    "outlet": "Outlet",
}


def safe_url(value: str | None) -> str | None:
    """A link target only when it is an http(s) URL: a ``javascript:`` URL in a record never becomes a link."""
    if not value:
        return None
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


def build_templates() -> Jinja2Templates:
    from importlib.resources import files

    templates = Jinja2Templates(directory=str(files("cyberops.web") / "templates"))
    templates.env.filters["safe_url"] = safe_url
    templates.env.globals["chip_label"] = views.chip_label
    templates.env.globals["state_name"] = queries.state_name
    templates.env.globals["facet_titles"] = FACET_TITLES
    return templates


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _query(params: dict[str, str], **changes: Any) -> str:
    merged = {**params, **{k: str(v) for k, v in changes.items() if v not in (None, "")}}
    for key, value in changes.items():
        if value in (None, ""):
            merged.pop(key, None)
    return "?" + urlencode(merged)


@router.get("/", response_class=HTMLResponse)
@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, store: StoreDep, _: Reader, params: Annotated[SearchParams, Depends()]
) -> HTMLResponse:
    result = views.search(store, params)
    active = params.active()
    facet_links = {
        name: [
            (value, count, _query(active, **{FACET_PARAMS[name]: value}, offset=None))
            for value, count in values.items()
        ]
        for name, values in result.facets.items()
    }
    pages = {
        "previous": _query(active, offset=max(0, params.offset - params.limit)) if params.offset > 0 else None,
        "next": _query(active, offset=params.offset + params.limit)
        if params.offset + params.limit < result.total
        else None,
    }
    removable = [
        (key, value, _query(active, **{key: None}, offset=None)) for key, value in active.items() if key != "q"
    ]
    context = {"result": result, "params": params, "facets": facet_links, "pages": pages, "removable": removable}
    return _render(request, "search.html", context)


@router.get("/articles/{document_id}", response_class=HTMLResponse)
def article_page(
    request: Request, store: StoreDep, _: Reader, document_id: Annotated[str, Path(max_length=200)], claim: Text = None
) -> HTMLResponse:
    view = views.article_view(store, document_id)
    if view is None:
        raise HTTPException(404, f"no document {document_id!r}; find documents with the search page")
    detail = view.claim_detail(claim) if claim else None
    return _render(request, "article.html", {"view": view, "detail": detail})


@router.get("/articles/{document_id}/claims/{claim_id}", response_class=HTMLResponse)
def claim_fragment(
    request: Request,
    store: StoreDep,
    _: Reader,
    document_id: Annotated[str, Path(max_length=200)],
    claim_id: Annotated[str, Path(max_length=32)],
) -> Response:
    """The claim's detail: a fragment for htmx, the article page with the detail open otherwise."""
    if not _is_htmx(request):
        return RedirectResponse(f"/articles/{document_id}?{urlencode({'claim': claim_id})}#claim-detail", 303)
    record = store.get(document_id)
    detail = views.claim_detail(record, claim_id) if record else None
    if detail is None:
        raise HTTPException(404, f"no claim {claim_id!r} in document {document_id!r}")
    return _render(request, "_claim.html", {"detail": detail, "record": record})


@router.get("/articles/{document_id}/raw", response_class=PlainTextResponse)
def raw_page(store: StoreDep, _: Reader, document_id: Annotated[str, Path(max_length=200)]) -> PlainTextResponse:
    """The source as obtained, as plain text: a browser shows it, never runs it."""
    raw = store.raw(document_id)
    if raw is None:
        raise HTTPException(404, f"no raw copy of {document_id!r} was kept")
    # A sandbox on top of text/plain and nosniff: even a browser that guessed HTML would run nothing.
    return PlainTextResponse(raw.decode("utf-8", errors="replace"), headers={"Content-Security-Policy": "sandbox"})


@router.get("/dossiers", response_class=HTMLResponse)
def dossiers_page(
    request: Request,
    store: StoreDep,
    _: Reader,
    actor: Text = None,
    state: State = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> HTMLResponse:
    found = store.list_dossiers(actor=actor, state=state, limit=limit, offset=offset)
    params = {k: v for k, v in {"actor": actor, "state": state}.items() if v}
    pages = {
        "previous": _query(params, offset=max(0, offset - limit)) if offset > 0 else None,
        "next": _query(params, offset=offset + limit) if len(found) == limit else None,
    }
    context = {"dossiers": found, "actor": actor, "state": state, "pages": pages}
    return _render(request, "dossiers.html", context)


@router.get("/dossiers/{dossier_id}", response_class=HTMLResponse)
def dossier_page(
    request: Request, store: StoreDep, _: Reader, dossier_id: Annotated[str, Path(max_length=200)]
) -> HTMLResponse:
    view = views.dossier_view(store, dossier_id)
    if view is None:
        raise HTTPException(404, f"no dossier {dossier_id!r}; see the list of dossiers")
    return _render(request, "dossier.html", {"view": view})


@router.get("/actors/{name}", response_class=HTMLResponse)
def actor_page(
    request: Request, store: StoreDep, _: Reader, name: Annotated[str, Path(max_length=300)]
) -> HTMLResponse:
    view = queries.actor_view(store.engine, name)
    if view is None:
        raise HTTPException(404, f"no actor named {name!r} in the store")
    incidents = queries.list_incidents(store.engine, document_ids=[d["id"] for d in view.recent], limit=20)
    return _render(request, "actor.html", {"view": view, "incidents": incidents})


@router.get("/states/{code}", response_class=HTMLResponse)
def state_page(
    request: Request, store: StoreDep, _: Reader, code: Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]
) -> HTMLResponse:
    view = queries.state_view(store.engine, code)
    incidents = queries.list_incidents(store.engine, state=code, status="reported", limit=20)
    return _render(request, "state.html", {"view": view, "incidents": incidents})


@router.get("/matrix", response_class=HTMLResponse)
def matrix_page(request: Request, store: StoreDep, _: Reader, dates: Annotated[DateParams, Depends()]) -> HTMLResponse:
    matrix = queries.who_accuses_whom(store.engine, dates.range())
    context = {
        "matrix": matrix,
        "chart": charts.matrix_chart(matrix),
        "timeline": charts.timeline_chart(matrix),
    }
    return _render(request, "matrix.html", context)


@router.get("/analyze", response_class=HTMLResponse)
def analyze_form(request: Request, _: Reader) -> HTMLResponse:
    return _render(request, "analyze.html", {"form": {}, "view": None, "error": None, "saved": None})


@router.post("/analyze", response_class=HTMLResponse)
def analyze_page(
    request: Request,
    store: StoreDep,
    service: AnalyzerDep,
    settings: SettingsDep,
    web: WebSettingsDep,
    _: Reader,
    text: Annotated[str, Form(max_length=200_000)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    save: Annotated[bool, Form()] = False,
    token: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Analyze pasted text or a URL and show the record; with "save" and an analyst token, store it."""
    form = {"text": text, "url": url, "title": title, "save": save}
    item = views.AnalyzeInput(text=text.strip() or None, url=url.strip() or None, title=title.strip() or None)
    if not text.strip() and url.strip():
        item.url = url.strip()
    elif text.strip():
        item.url = url.strip() or None
    error = None
    view = saved = None
    status = 200
    try:
        if save:
            info = token_info(store, token.strip() or None)
            if info is None or not info.allows("analyst"):
                raise HTTPException(403, "saving needs an analyst token (make one with `cyberops token create`)")
            analyzed = views.analyze_and_save(store, service, settings, item)
            saved = analyzed.saved
        else:
            analyzed = views.analyze(service, settings, item)
        view = views.record_view(analyzed.record)
    except (InputError, StoreError) as exc:
        error, status = str(exc), 422
    except HTTPException as exc:
        error, status = str(exc.detail), exc.status_code
    context = {"form": form, "view": view, "error": error, "saved": saved}
    name = "_analysis.html" if _is_htmx(request) else "analyze.html"
    return _render(request, name, context, status=200 if _is_htmx(request) else status)
