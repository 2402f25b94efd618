"""Search over stored documents: full text plus filters, one page of hits, and facet counts.

Every filter is a condition on ``documents`` (an ``EXISTS`` on claims,
incident types or mentions), so the same set of matching documents feeds the
page of hits, the total and each facet. ``--state`` with ``--kind`` asks for
one claim that has both: "a denial by or about CN", not a denial anywhere plus
CN anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from cyberops.store.engine import StoreError
from cyberops.store.fulltext import full_text_match, has_terms
from cyberops.store.schema import claims, documents, entities, entity_names, incident_types, mentions

FACETS = ("language", "claim_kind", "incident_type", "speaker_state", "subject_state", "actor", "outlet")


@dataclass(frozen=True)
class SearchFilters:
    state: str | None = None
    kind: str | None = None
    since: str | None = None
    until: str | None = None
    lang: str | None = None
    actor: str | None = None
    outlet: str | None = None
    incident_type: str | None = None
    relevant: bool | None = None


@dataclass(frozen=True)
class ClaimChip:
    """A claim in a line: "denial CN→CN"."""

    kind: str
    speaker_state: str | None
    subject_state: str | None
    subject_actor: str | None = None
    hedged: bool = False

    def __str__(self) -> str:
        subject = self.subject_state or self.subject_actor or "?"
        return f"{self.kind} {self.speaker_state or '?'}→{subject}{' (hedged)' if self.hedged else ''}"


@dataclass
class Hit:
    id: str
    title: str | None
    outlet: str | None
    published: str | None
    language: str | None
    url: str | None
    snippet: str | None = None
    claims: list[ClaimChip] = field(default_factory=list)
    incident_types: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for hit, raw in zip(self.hits, data["hits"], strict=True):
            raw["claims"] = [{**asdict(chip), "label": str(chip)} for chip in hit.claims]
        return data


def run_search(
    connection: sa.Connection,
    query: str,
    filters: SearchFilters,
    limit: int = 20,
    offset: int = 0,
    facet_limit: int = 20,
) -> SearchResult:
    dialect = connection.dialect.name
    conditions = _conditions(filters)
    text_match = full_text_match(dialect, query) if has_terms(query) else None
    matching = sa.select(documents.c.pk).where(*conditions)
    if text_match is not None:
        matching = matching.where(documents.c.pk.in_(text_match.matching_pks))

    total, facets = _total_and_facets(connection, matching, facet_limit)
    hits = _hits(connection, conditions, text_match, limit, offset)
    return SearchResult(query=query, total=total, hits=hits, facets=facets, limit=limit, offset=offset)


def document_conditions(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    """The filters as conditions on ``documents`` (also used to filter dossiers by their documents)."""
    return _conditions(filters)


def _conditions(filters: SearchFilters) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if filters.lang:
        found.append(documents.c.language == filters.lang.lower())
    if filters.outlet:
        found.append(sa.func.lower(documents.c.outlet) == filters.outlet.lower())
    if filters.since:
        found.append(documents.c.published >= _iso_date(filters.since, "since").isoformat())
    if filters.until:
        # Published values may carry a time ("2019-02-19T10:00"): compare with the next day.
        next_day = _iso_date(filters.until, "until") + dt.timedelta(days=1)
        found.append(documents.c.published < next_day.isoformat())
    if filters.relevant is not None:
        found.append(documents.c.relevant.is_(filters.relevant))
    if filters.state or filters.kind:
        claim = sa.select(claims.c.pk).where(claims.c.document_pk == documents.c.pk)
        if filters.kind:
            claim = claim.where(claims.c.kind == filters.kind)
        if filters.state:
            state = filters.state.upper()
            claim = claim.where(sa.or_(claims.c.speaker_state == state, claims.c.subject_state == state))
        found.append(claim.exists())
    if filters.incident_type:
        found.append(
            sa.select(incident_types.c.incident_pk)
            .where(incident_types.c.document_pk == documents.c.pk, incident_types.c.type == filters.incident_type)
            .exists()
        )
    if filters.actor:
        found.append(_actor_condition(filters.actor))
    return found


def _actor_condition(actor: str) -> sa.ColumnElement[bool]:
    """The document names the actor: a mention of an entity that goes by that name, or a claim's subject."""
    named = sa.select(entity_names.c.entity_pk).where(entity_names.c.name == fold_name(actor))
    mentioned = (
        sa.select(mentions.c.pk)
        .where(mentions.c.document_pk == documents.c.pk, mentions.c.entity_pk.in_(named))
        .exists()
    )
    subject = (
        sa.select(claims.c.pk)
        .where(claims.c.document_pk == documents.c.pk, sa.func.lower(claims.c.subject_actor) == actor.lower())
        .exists()
    )
    return sa.or_(mentioned, subject)


def fold_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _iso_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise StoreError(f"--{name} {value!r} is not a date; write it as YYYY-MM-DD") from exc


def _hits(
    connection: sa.Connection,
    conditions: list[sa.ColumnElement[bool]],
    text_match: Any,
    limit: int,
    offset: int,
) -> list[Hit]:
    columns = [
        documents.c.pk,
        documents.c.id,
        documents.c.title,
        documents.c.outlet,
        documents.c.published,
        documents.c.language,
        documents.c.url,
    ]
    newest_first = (documents.c.published.desc().nulls_last(), documents.c.pk.desc())
    if text_match is not None:
        statement = (
            sa.select(*columns, text_match.snippet.label("snippet"))
            .select_from(text_match.from_clause)
            .where(text_match.where, *conditions)
            .order_by(text_match.rank, *newest_first)
        )
    else:
        statement = sa.select(*columns, sa.null().label("snippet")).where(*conditions).order_by(*newest_first)
    rows = connection.execute(statement.limit(limit).offset(offset)).all()
    hits = {
        row.pk: Hit(row.id, row.title, row.outlet, row.published, row.language, row.url, row.snippet) for row in rows
    }
    if not hits:
        return []
    chips = connection.execute(
        sa.select(
            claims.c.document_pk,
            claims.c.kind,
            claims.c.speaker_state,
            claims.c.subject_state,
            claims.c.subject_actor,
            claims.c.hedged,
        )
        .where(claims.c.document_pk.in_(list(hits)))
        .order_by(claims.c.pk)
    )
    for pk, *chip in chips:
        claim_chip = ClaimChip(*chip)
        if claim_chip not in hits[pk].claims:
            hits[pk].claims.append(claim_chip)
    types = connection.execute(
        sa.select(incident_types.c.document_pk, incident_types.c.type)
        .where(incident_types.c.document_pk.in_(list(hits)))
        .distinct()
        .order_by(incident_types.c.type)
    )
    for pk, incident_type in types:
        hits[pk].incident_types.append(incident_type)
    return list(hits.values())


def _total_and_facets(
    connection: sa.Connection, matching: sa.Select, limit: int
) -> tuple[int, dict[str, dict[str, int]]]:
    """The number of matching documents and every facet, in one statement over the matching set computed once."""
    # MATERIALIZED: both engines would otherwise re-run the full-text match and filters for every facet.
    matched = matching.cte("matched").prefix_with("MATERIALIZED")
    parts = [sa.select(sa.literal("", sa.String).label("facet"), sa.null().label("value"), sa.func.count().label("n"))
             .select_from(matched)]  # fmt: skip
    for name in FACETS:
        value, document_pk, source, extra = _FACET_SOURCES[name]()
        count = sa.func.count(sa.distinct(document_pk))
        top = (
            sa.select(sa.literal(name, sa.String).label("facet"), value.label("value"), count.label("n"))
            .select_from(source)
            .where(document_pk.in_(sa.select(matched.c.pk)), value.is_not(None), *extra)
            .group_by(value)
            .order_by(count.desc(), value)
            .limit(limit)
            .subquery()
        )
        parts.append(sa.select(top.c.facet, sa.cast(top.c.value, sa.String).label("value"), top.c.n))
    total = 0
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    for facet, value, count in connection.execute(sa.union_all(*parts)):
        if facet:
            facets[facet][value] = count
        else:
            total = count
    # UNION ALL keeps no order across its parts: sort each facet again, most frequent first.
    return total, {name: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for name, v in facets.items()}


_FACET_SOURCES = {
    "language": lambda: (documents.c.language, documents.c.pk, documents, ()),
    "outlet": lambda: (documents.c.outlet, documents.c.pk, documents, ()),
    "claim_kind": lambda: (claims.c.kind, claims.c.document_pk, claims, ()),
    "speaker_state": lambda: (claims.c.speaker_state, claims.c.document_pk, claims, ()),
    "subject_state": lambda: (claims.c.subject_state, claims.c.document_pk, claims, ()),
    "incident_type": lambda: (incident_types.c.type, incident_types.c.document_pk, incident_types, ()),
    "actor": lambda: (
        entities.c.name,
        mentions.c.document_pk,
        mentions.join(entities, entities.c.pk == mentions.c.entity_pk),
        (entities.c.kind == "threat_actor",),
    ),
}
