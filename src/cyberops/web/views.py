"""What each page and endpoint shows, as plain objects: one call feeds the JSON answer and the HTML page.

Routes translate HTTP into these calls and their results into JSON or a
template; nothing here knows about requests or responses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cyberops.correlate import Dossier as DossierModel
from cyberops.errors import InputError
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.record import Claim, Entity, Incident, Record
from cyberops.settings import Settings
from cyberops.store import RecordStore, SaveResult, SearchResult
from cyberops.web import queries
from cyberops.web.deps import AnalyzerService
from cyberops.web.highlight import Segment, evidence_text, segments
from cyberops.web.params import SearchParams

_VERBS = {
    "attribution": "attributes to",
    "denial": "denies",
    "counter_accusation": "accuses in return",
    "response": "responds to",
    "admission": "admits",
    "cooperation": "calls for cooperation with",
}


def chip_label(
    kind: str, speaker_state: str | None, subject_state: str | None, subject_actor: str | None = None
) -> str:
    speaker = speaker_state or "unattributed"
    verb = _VERBS.get(kind, kind)
    subject = subject_state or subject_actor
    if kind == "denial" and (subject is None or subject == speaker_state):
        return f"{speaker} denies"
    if kind == "admission":
        return f"{subject_actor or speaker} admits"
    if subject is None:
        return {
            "counter_accusation": f"{speaker} accuses others",
            "cooperation": f"{speaker} calls for cooperation",
        }.get(kind, f"{speaker} {verb} ?")
    return f"{speaker} {verb} {subject}"


# -- article ---------------------------------------------------------------------------------


@dataclass
class ClaimDetail:
    claim: Claim
    label: str
    sentences: list[str]
    incident: Incident | None
    speaker_entity: Entity | None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            **asdict(self.claim),
            "label": self.label,
            "sentences": self.sentences,
            "incident_record": asdict(self.incident) if self.incident else None,
        }


@dataclass
class ArticleView:
    record: Record
    meta: dict[str, Any]
    segments: list[Segment]
    dossiers: list[dict[str, Any]] = field(default_factory=list)

    def entity(self, ref: str) -> Entity | None:
        return next((e for e in self.record.entities if e.id == ref), None)

    def claim(self, ref: str) -> Claim | None:
        return next((c for c in self.record.claims if c.id == ref), None)

    def claim_detail(self, ref: str) -> ClaimDetail | None:
        return claim_detail(self.record, ref)

    def segment_entity_types(self, segment: Segment) -> list[str]:
        return sorted({e.type for ref in segment.entities if (e := self.entity(ref)) is not None})


def claim_detail(record: Record, ref: str) -> ClaimDetail | None:
    claim = next((c for c in record.claims if c.id == ref), None)
    if claim is None:
        return None
    incident = next((i for i in record.incidents if i.id == claim.incident), None) if claim.incident else None
    speaker = next((e for e in record.entities if e.id == claim.speaker.entity), None) if claim.speaker.entity else None
    return ClaimDetail(
        claim,
        chip_label(claim.kind, claim.speaker_state, claim.subject_state, claim.subject_actor),
        evidence_text(record, claim.evidence),
        incident,
        speaker,
    )


def article_view(store: RecordStore, document_id: str) -> ArticleView | None:
    record = store.get(document_id)
    if record is None:
        return None
    meta = queries.document_meta(store.engine, document_id) or {}
    return ArticleView(record, meta, segments(record), queries.dossiers_of_document(store.engine, document_id))


def record_view(record: Record) -> ArticleView:
    """An unsaved record (the analyze page) shown like a stored article."""
    return ArticleView(record, {"id": record.id, "url": record.url}, segments(record))


# -- dossier ---------------------------------------------------------------------------------


@dataclass
class DossierView:
    id: str
    title: str
    generated_title: str
    model: DossierModel
    documents: list[dict[str, Any]]
    languages: dict[str, int]
    outlets: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        data = self.model.to_dict()
        data.pop("members", None)  # what linking needs, not what a reader needs
        return {
            **data,
            "id": self.id,
            "title": self.title,
            "generated_title": self.generated_title,
            "documents": self.documents,
            "languages": self.languages,
            "outlets": self.outlets,
        }


def dossier_view(store: RecordStore, dossier_id: str) -> DossierView | None:
    stored = store.get_dossier(dossier_id)
    if stored is None:
        return None
    model = DossierModel.from_dict({"id": stored.id, "key": stored.key, **(stored.payload or {})})
    document_ids = stored.document_ids or model.documents
    documents = queries.documents_meta(store.engine, document_ids)
    languages = Counter(d["language"] or "unknown" for d in documents)
    outlets = Counter(d["outlet"] or "unknown" for d in documents)
    return DossierView(
        stored.id,
        stored.title or model.title or stored.id,
        model.title,
        model,
        documents,
        dict(languages.most_common()),
        dict(outlets.most_common()),
    )


# -- analyze ---------------------------------------------------------------------------------


@dataclass
class AnalyzeInput:
    text: str | None = None
    html: str | None = None
    url: str | None = None
    title: str | None = None
    language: str | None = None
    published: str | None = None
    outlet: str | None = None


@dataclass
class Analyzed:
    record: Record
    raw: str | None
    source: str
    saved: SaveResult | None = None


def analyze(service: AnalyzerService, settings: Settings, item: AnalyzeInput) -> Analyzed:
    """Analyze pasted text or HTML, or fetch a URL first (private addresses refused as in the CLI).

    Raises :class:`InputError` with a message for the user when there is nothing to analyze.
    """
    if item.text or item.html:
        source = "<pasted>"
        data = {
            "text": item.text,
            "html": item.html,
            "url": item.url,
            "title": item.title,
            "language": item.language,
            "published": item.published,
            "outlet": item.outlet,
        }
        article = article_from_dict({k: v for k, v in data.items() if v}, source, settings)
    elif item.url:
        source = item.url
        if not item.url.startswith(("http://", "https://")):
            raise InputError(item.url, "only http:// and https:// URLs can be fetched")
        [found] = list(iter_articles([item.url], settings))
        if isinstance(found, InputError):
            raise found
        article = found
        article.title = item.title or article.title
        article.outlet = item.outlet or article.outlet
    else:
        raise InputError("<request>", "give the article's text, its HTML or its URL")
    analyzer = service.analyzer()
    with service.lock:
        record = analyzer.analyze(article)
    return Analyzed(record, article.raw_text, source)


def analyze_and_save(store: RecordStore, service: AnalyzerService, settings: Settings, item: AnalyzeInput) -> Analyzed:
    analyzed = analyze(service, settings, item)
    analyzed.saved = store.save(analyzed.record, raw=analyzed.raw, source=analyzed.source)
    return analyzed


# -- search ----------------------------------------------------------------------------------


def search(store: RecordStore, params: SearchParams) -> SearchResult:
    filters = params.filters()
    query, actor = params.q, filters.actor
    name = queries.entity_named(store.engine, query) if query and not actor else None
    if name is not None:
        # A name the knowledge base knows finds every article that mentions that entity, in whatever
        # language or alias it is written there ("groupe Equation", "方程式组织"), not only the literal words.
        query, actor = "", name
    return store.search(
        query,
        state=filters.state,
        kind=filters.kind,
        since=filters.since,
        until=filters.until,
        lang=filters.lang,
        actor=actor,
        outlet=filters.outlet,
        incident_type=filters.incident_type,
        limit=params.limit,
        offset=params.offset,
    )


def search_dict(result: SearchResult) -> dict[str, Any]:
    """The store's search result as JSON, each claim chip with its reading ("CN denies")."""
    data = result.to_dict()
    for hit in data["hits"]:
        for chip in hit["claims"]:
            chip["text"] = chip_label(chip["kind"], chip["speaker_state"], chip["subject_state"], chip["subject_actor"])
    return data
