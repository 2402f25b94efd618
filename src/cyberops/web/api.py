"""The REST API under ``/api``: documents, records, entities, incidents, claims, dossiers, search, analyze.

Reads return the RECORD.md shapes (plus the document a fact comes from);
lists are paginated with ``limit``/``offset`` and answer ``{items, total,
limit, offset}``. Writes need an analyst token. Every route is a few lines
over :mod:`cyberops.web.views` or :mod:`cyberops.web.queries`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from cyberops.errors import InputError
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.pipeline import ingest
from cyberops.record import Article, ClaimKind, EntityType, IncidentType
from cyberops.web import queries, views
from cyberops.web.deps import Analyst, AnalyzerDep, Reader, SettingsDep, StoreDep, require_analyst, require_reader
from cyberops.web.params import (
    DateParams,
    Limit,
    Offset,
    SearchParams,
    State,
    Text,
)

router = APIRouter(prefix="/api", tags=["api"])

DocumentId = Annotated[str, Path(max_length=200)]
Json = dict[str, Any]


class Message(BaseModel):
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Message},
    401: {"model": Message},
    403: {"model": Message},
    404: {"model": Message},
    422: {"model": Message},
}


def _found(value: Any, what: str) -> Any:
    if value is None:
        raise HTTPException(404, f"no {what}; list them under /api")
    return value


# -- search and documents ----------------------------------------------------------------------


@router.get("/search", responses=ERRORS)
def search(store: StoreDep, _: Reader, params: Annotated[SearchParams, Depends()]) -> Json:
    """Full text and filters, one page of hits with claim chips, and counts per facet."""
    return views.search_dict(views.search(store, params))


@router.get("/documents", responses=ERRORS)
def documents(store: StoreDep, _: Reader, params: Annotated[SearchParams, Depends()]) -> Json:
    """Documents filtered like the search page, newest first when there is no query."""
    result = views.search_dict(views.search(store, params))
    return {"items": result["hits"], "total": result["total"], "limit": params.limit, "offset": params.offset}


@router.get("/documents/{document_id}", responses=ERRORS)
def document(store: StoreDep, _: Reader, document_id: DocumentId) -> Json:
    """A document: what the store knows of it, its record, and the dossiers it belongs to."""
    view = _found(views.article_view(store, document_id), f"document {document_id!r}")
    return {"document": view.meta, "record": view.record.to_dict(), "dossiers": view.dossiers}


@router.get("/documents/{document_id}/raw", response_class=PlainTextResponse, responses=ERRORS)
def document_raw(store: StoreDep, _: Reader, document_id: DocumentId) -> PlainTextResponse:
    """The document as it was obtained, as plain text (never rendered as a page)."""
    raw = _found(store.raw(document_id), f"raw copy of {document_id!r}")
    return PlainTextResponse(raw.decode("utf-8", errors="replace"))


@router.get("/records/{document_id}", responses=ERRORS)
def record(store: StoreDep, _: Reader, document_id: DocumentId) -> Json:
    """The extraction record exactly as RECORD.md describes it."""
    return _found(store.get(document_id), f"document {document_id!r}").to_dict()


@router.get("/records/{document_id}/claims/{claim_id}", responses=ERRORS)
def record_claim(
    store: StoreDep, _: Reader, document_id: DocumentId, claim_id: Annotated[str, Path(max_length=32)]
) -> Json:
    """One claim with its sentences, its incident and its cues (the "why")."""
    found = _found(store.get(document_id), f"document {document_id!r}")
    return _found(views.claim_detail(found, claim_id), f"claim {claim_id!r} in {document_id!r}").to_dict()


# -- facts across documents --------------------------------------------------------------------


@router.get("/entities", responses=ERRORS)
def entities(
    store: StoreDep,
    _: Reader,
    type: EntityType | None = None,
    state: State = None,
    name: Text = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Json:
    """Entities with aliases, KB ids and how many documents mention them; ``name`` matches any alias."""
    return queries.list_entities(store.engine, type, state, name, limit, offset).to_dict()


@router.get("/entities/{name}", responses=ERRORS)
def entity(store: StoreDep, _: Reader, name: Annotated[str, Path(max_length=300)]) -> Json:
    """An actor (or any entity) by any name: aliases, KB ids, who accuses it, reactions, incidents."""
    return _found(queries.actor_view(store.engine, name), f"entity named {name!r}").to_dict()


@router.get("/states/{code}", responses=ERRORS)
def state(store: StoreDep, _: Reader, code: Annotated[str, Path(pattern=r"^[A-Za-z]{2}$")]) -> Json:
    """A state: who accuses it, whom it accuses, how it answers, measures against it, its actors."""
    return queries.state_view(store.engine, code).to_dict()


@router.get("/incidents", responses=ERRORS)
def incidents(
    store: StoreDep,
    _: Reader,
    dates: Annotated[DateParams, Depends()],
    type: IncidentType | None = None,
    state: Annotated[str | None, State] = None,
    status: Literal["reported", "referenced"] | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Json:
    """Incidents with their document; ``state`` is a victim or an attributed state."""
    return queries.list_incidents(store.engine, type, state, status, dates.range(), None, limit, offset).to_dict()


@router.get("/claims", responses=ERRORS)
def claims(
    store: StoreDep,
    _: Reader,
    dates: Annotated[DateParams, Depends()],
    kind: ClaimKind | None = None,
    speaker_state: State = None,
    subject_state: State = None,
    actor: Text = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> Json:
    """Claims with their document, newest first."""
    return queries.list_claims(
        store.engine, kind, speaker_state, subject_state, actor, dates.range(), None, limit, offset
    ).to_dict()


@router.get("/matrix", responses=ERRORS)
def matrix(store: StoreDep, _: Reader, dates: Annotated[DateParams, Depends()]) -> Json:
    """Who accuses whom (denials on the diagonal) and claims per month, over a date range."""
    return queries.who_accuses_whom(store.engine, dates.range()).to_dict()


# -- dossiers --------------------------------------------------------------------------------


@router.get("/dossiers", responses=ERRORS)
def dossiers(
    store: StoreDep, _: Reader, actor: Text = None, state: State = None, limit: Limit = 20, offset: Offset = 0
) -> Json:
    """Dossiers, most recently updated first; ``actor``/``state`` keep those with a document naming them."""
    found = store.list_dossiers(actor=actor, state=state, limit=limit, offset=offset)
    total = queries.count_dossiers(store.engine) if not (actor or state) else None
    items = [{"id": d.id, "title": d.title, "updated": d.updated.isoformat(), "documents": d.documents} for d in found]
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/dossiers/{dossier_id}", responses=ERRORS)
def dossier(store: StoreDep, _: Reader, dossier_id: Annotated[str, Path(max_length=200)]) -> Json:
    """One operation across articles: timeline, states, actors, sources by language."""
    return _found(views.dossier_view(store, dossier_id), f"dossier {dossier_id!r}").to_dict()


class DossierEdit(BaseModel):
    title: str = Field(min_length=1, max_length=300)


@router.patch("/dossiers/{dossier_id}", responses=ERRORS)
def edit_dossier(
    store: StoreDep, _: Analyst, dossier_id: Annotated[str, Path(max_length=200)], edit: DossierEdit
) -> Json:
    """Give a dossier an analyst's title (needs an analyst token)."""
    title = " ".join(edit.title.split())
    if not title:
        raise HTTPException(422, "the title is blank")
    _found(queries.set_dossier_title(store.engine, dossier_id, title) or None, f"dossier {dossier_id!r}")
    return views.dossier_view(store, dossier_id).to_dict()  # type: ignore[union-attr]


# -- analyze and ingest ----------------------------------------------------------------------


class ArticleIn(BaseModel):
    """One article: its text, its HTML or its URL (fetched; private addresses are refused)."""

    text: str | None = Field(None, max_length=200_000)
    html: str | None = Field(None, max_length=2_000_000)
    url: str | None = Field(None, max_length=2000)
    title: str | None = Field(None, max_length=500)
    language: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}$")
    published: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}")
    outlet: str | None = Field(None, max_length=200)

    def to_input(self) -> views.AnalyzeInput:
        return views.AnalyzeInput(**self.model_dump(exclude={"save"}))


class AnalyzeIn(ArticleIn):
    save: bool = Field(False, description="Store the record too (needs an analyst token).")


@router.post("/analyze", responses=ERRORS)
def analyze(body: AnalyzeIn, request: Request, store: StoreDep, service: AnalyzerDep, settings: SettingsDep) -> Json:
    """The record of one article at once; with ``save`` it is stored too (needs an analyst token)."""
    if body.save:
        require_analyst(request, store)
        analyzed = views.analyze_and_save(store, service, settings, body.to_input())
    else:
        require_reader(request, store, request.app.state.web)
        analyzed = views.analyze(service, settings, body.to_input())
    saved = {"id": analyzed.saved.document_id, "status": analyzed.saved.status} if analyzed.saved else None
    return {"record": analyzed.record.to_dict(), "saved": saved}


class IngestIn(BaseModel):
    documents: list[ArticleIn] = Field(min_length=1, max_length=100)


@router.post("/ingest", responses=ERRORS)
def ingest_documents(body: IngestIn, store: StoreDep, service: AnalyzerDep, settings: SettingsDep, _: Analyst) -> Json:
    """Analyze and store several articles; what is stored already is skipped, failures go to the error table."""

    def articles() -> Iterator[Article | InputError]:
        for n, doc in enumerate(body.documents):
            data = doc.model_dump(exclude_none=True)
            if doc.text or doc.html:
                try:
                    yield article_from_dict(data, f"<request #{n}>", settings)
                except InputError as error:
                    yield error
            elif doc.url:
                yield from iter_articles([doc.url], settings)
            else:
                yield InputError(f"<request #{n}>", "give the article's text, its HTML or its URL")

    analyzer = service.analyzer()
    with service.lock:
        counts = ingest(articles(), store, settings, analyzer=analyzer, source="api")
    return asdict(counts)
