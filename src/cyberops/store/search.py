"""Search over stored documents: full text plus filters, one page of hits, and facet counts.

Every filter is a condition on ``documents`` (``pk IN`` the documents of
matching claims, incident types or mentions: both engines can then start from
the few rows of a selective filter), so the same set of matching documents
feeds the page of hits, the total and each facet. ``--state`` with ``--kind``
asks for one claim that has both: "a denial by or about CN", not a denial
anywhere plus CN anywhere.

The full-text match runs once, in the statement that ranks the matches and
counts them; facets count the best :data:`FACET_SAMPLE` matches (all of them
when there are no more), and snippets are made for the page only. See
docs/decisions/search-speed.md.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cyberops.store.engine import StoreError
from cyberops.store.fulltext import FullTextMatch, full_text_match, has_terms
from cyberops.store.schema import claims, documents, entities, entity_names, incident_types, mentions

# Facet counts are exact up to this many matching documents; above it they count the best this many, which
# is what a reader of the first pages sees, and costs the same whether a query matches 3,000 or 90,000.
FACET_SAMPLE = 2000
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
    # Facets count the best ``facets_over`` documents: all of them (== total) unless more than FACET_SAMPLE match.
    facets_over: int = 0

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
    facet_sample: int = FACET_SAMPLE,
) -> SearchResult:
    """One page of hits, the total, and the facets over at most ``facet_sample`` of the best matches."""
    if connection.dialect.name == "postgresql":
        # The default (4.0) prices a random page as on a spinning disk, so for a word in a sixth of the corpus
        # the planner read every document and tested the match on each tsvector instead of using the GIN
        # index: 480 ms against 100 ms on 100,000 documents. 1.1 is the usual value for SSDs and cached
        # data; LOCAL keeps it to this search's transaction.
        connection.exec_driver_sql("SET LOCAL random_page_cost = 1.1")
    conditions = _conditions(filters)
    text_match = full_text_match(connection.dialect.name, query) if has_terms(query) else None
    ranked, total = _ranked(connection, conditions, text_match, max(facet_sample, offset + limit))
    counted = ranked if total <= facet_sample else ranked[:facet_sample]
    facets = _facets(connection, counted, facet_limit)
    hits = _hits(connection, ranked[offset : offset + limit], text_match)
    return SearchResult(
        query=query, total=total, hits=hits, facets=facets, limit=limit, offset=offset, facets_over=len(counted)
    )


def _ranked(
    connection: sa.Connection,
    conditions: list[sa.ColumnElement[bool]],
    text_match: FullTextMatch | None,
    window: int,
) -> tuple[list[int], int]:
    """The pks of the first ``window`` matching documents in result order, and how many match in all."""
    newest_first = (documents.c.published.desc().nulls_last(), documents.c.pk.desc())
    if text_match is None:
        total = connection.execute(sa.select(sa.func.count()).select_from(documents).where(*conditions)).scalar_one()
        statement = sa.select(documents.c.pk).where(*conditions).order_by(*newest_first).limit(window)
        return list(connection.execute(statement).scalars()), total
    # The full-text match runs once: the window count gives the total while the same rows are ranked.
    statement = (
        sa.select(documents.c.pk, sa.func.count().over().label("total"))
        .select_from(text_match.from_clause)
        .where(text_match.where, *conditions)
        .order_by(text_match.rank, *newest_first)
        .limit(window)
    )
    rows = connection.execute(statement).all()
    return [row.pk for row in rows], rows[0].total if rows else 0


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
        claim = sa.select(claims.c.document_pk)
        if filters.kind:
            claim = claim.where(claims.c.kind == filters.kind)
        if filters.state:
            state = filters.state.upper()
            claim = claim.where(sa.or_(claims.c.speaker_state == state, claims.c.subject_state == state))
        found.append(documents.c.pk.in_(claim))
    if filters.incident_type:
        found.append(
            documents.c.pk.in_(
                sa.select(incident_types.c.document_pk).where(incident_types.c.type == filters.incident_type)
            )
        )
    if filters.actor:
        found.append(_actor_condition(filters.actor))
    return found


def _actor_condition(actor: str) -> sa.ColumnElement[bool]:
    """The document names the actor: a mention of an entity that goes by that name, or a claim's subject."""
    named = sa.select(entity_names.c.entity_pk).where(entity_names.c.name == fold_name(actor))
    mentioned = sa.select(mentions.c.document_pk).where(mentions.c.entity_pk.in_(named))
    subject = sa.select(claims.c.document_pk).where(sa.func.lower(claims.c.subject_actor) == actor.lower())
    return documents.c.pk.in_(sa.union(mentioned, subject))


def fold_name(name: str) -> str:
    return " ".join(name.split()).casefold()


def _iso_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise StoreError(f"--{name} {value!r} is not a date; write it as YYYY-MM-DD") from exc


def _hits(connection: sa.Connection, page: list[int], text_match: FullTextMatch | None) -> list[Hit]:
    if not page:
        return []
    columns = [
        documents.c.pk,
        documents.c.id,
        documents.c.title,
        documents.c.outlet,
        documents.c.published,
        documents.c.language,
        documents.c.url,
    ]
    rows = {row.pk: row for row in connection.execute(sa.select(*columns).where(documents.c.pk.in_(page)))}
    snippets = dict(connection.execute(text_match.snippets(page)).all()) if text_match is not None else {}
    hits = {
        pk: Hit(row.id, row.title, row.outlet, row.published, row.language, row.url, snippets.get(pk))
        for pk, row in ((pk, rows[pk]) for pk in page)
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


def _facets(connection: sa.Connection, pks: list[int], limit: int) -> dict[str, dict[str, int]]:
    """Every facet over the documents ``pks``, in one statement."""
    facets: dict[str, dict[str, int]] = {name: {} for name in FACETS}
    if not pks:
        return facets
    among = _among(connection, pks)
    parts = []
    for name in FACETS:
        value, document_pk, source, extra = _FACET_SOURCES[name]()
        count = sa.func.count(sa.distinct(document_pk))
        top = (
            sa.select(sa.literal(name, sa.String).label("facet"), value.label("value"), count.label("n"))
            .select_from(source)
            .where(among(document_pk), value.is_not(None), *extra)
            .group_by(value)
            .order_by(count.desc(), value)
            .limit(limit)
            .subquery()
        )
        parts.append(sa.select(top.c.facet, sa.cast(top.c.value, sa.String).label("value"), top.c.n))
    for facet, value, count in connection.execute(sa.union_all(*parts)):
        facets[facet][value] = count
    # UNION ALL keeps no order across its parts: sort each facet again, most frequent first.
    return {name: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))) for name, v in facets.items()}


def _among(connection: sa.Connection, pks: list[int]) -> Callable[[sa.ColumnElement], sa.ColumnElement[bool]]:
    """``column IN pks`` with the pks bound once, not as thousands of parameters for each of seven facets:
    an integer array on PostgreSQL, a JSON array read by ``json_each`` on SQLite."""
    if connection.dialect.name == "postgresql":
        array = sa.bindparam("counted", pks, type_=postgresql.ARRAY(sa.Integer))
        return lambda column: column == sa.any_(array)
    each = sa.func.json_each(sa.bindparam("counted", json.dumps(pks))).table_valued("value")
    return lambda column: column.in_(sa.select(each.c.value))


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
