"""Read queries the web app needs that the store does not offer (yet): listings, actor and state views, the matrix.

They read the store's tables with SQLAlchemy Core and return plain
dataclasses, so that the JSON API and the HTML pages are fed by the same
call. Candidates for :class:`cyberops.store.RecordStore` once they settle.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from cyberops.store import StoreError
from cyberops.store.schema import (
    claims,
    documents,
    dossier_documents,
    dossiers,
    entities,
    entity_names,
    evidence,
    incident_types,
    incidents,
    mentions,
)
from cyberops.store.search import fold_name

# Claim kinds that hold a state responsible: the rows of the matrix.
ACCUSING_KINDS = ("attribution", "counter_accusation")


@dataclass(frozen=True)
class Page:
    """One page of a listing: the items, how many there are in all, and where the page starts."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DateRange:
    since: str | None = None
    until: str | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.since:
            found.append(documents.c.published >= _iso_date(self.since, "since").isoformat())
        if self.until:
            # Published values may carry a time: compare with the next day.
            found.append(documents.c.published < (_iso_date(self.until, "until") + dt.timedelta(days=1)).isoformat())
        return found


def _iso_date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise StoreError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD") from exc


def json_list_contains(dialect: str, column: sa.ColumnElement, value: str) -> sa.ColumnElement[bool]:
    """``value`` is an element of the JSON list in ``column``, with each backend's own JSON operators."""
    if dialect == "postgresql":
        return column.op("@>")(sa.func.jsonb_build_array(value))
    each = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(1).select_from(each).where(each.c.value == value))


def _page(conn: sa.Connection, statement: sa.Select, limit: int, offset: int) -> tuple[list[sa.Row], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())).scalar_one()
    rows = list(conn.execute(statement.limit(limit).offset(offset)).all())
    return rows, total


def _spans_by_owner(conn: sa.Connection, column: sa.Column, pks: list[int]) -> dict[int, list[dict[str, int]]]:
    found: dict[int, list[dict[str, int]]] = {}
    if pks:
        rows = conn.execute(
            sa.select(column, evidence.c.start, evidence.c.end).where(column.in_(pks)).order_by(evidence.c.pk)
        )
        for owner, start, end in rows:
            found.setdefault(owner, []).append({"start": start, "end": end})
    return found


# -- documents ---------------------------------------------------------------------------------


# A bare name: words or one "phrase", no operators (OR, -excluded, prefix*).
_BARE_NAME = re.compile(r'\s*"?([^"*]+?)"?\s*')


def entity_named(engine: sa.Engine, query: str) -> str | None:
    """The name in ``query`` when the whole query is a name some stored entity goes by (any alias), else None."""
    match = _BARE_NAME.fullmatch(query)
    if not match or " OR " in query or any(word.startswith("-") for word in query.split()):
        return None
    name = match.group(1)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(entity_names.c.entity_pk).where(entity_names.c.name == fold_name(name)).limit(1)
        ).first()
    return name if found is not None else None


def document_meta(engine: sa.Engine, document_id: str) -> dict[str, Any] | None:
    """What the store knows about a document besides its record: source, when first seen, whether raw bytes exist."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                documents.c.id,
                documents.c.url,
                documents.c.source,
                documents.c.outlet,
                documents.c.first_seen,
                documents.c.updated,
                documents.c.analyzer,
                (documents.c.raw.is_not(None)).label("has_raw"),
            ).where(documents.c.id == document_id)
        ).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data["first_seen"] = row.first_seen.isoformat() if row.first_seen else None
    data["updated"] = row.updated.isoformat() if row.updated else None
    return data


def documents_meta(engine: sa.Engine, document_ids: list[str]) -> list[dict[str, Any]]:
    """Headline, outlet, language, date and URL of each document, in the order given."""
    if not document_ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                documents.c.id,
                documents.c.title,
                documents.c.outlet,
                documents.c.language,
                documents.c.published,
                documents.c.url,
            ).where(documents.c.id.in_(document_ids))
        ).all()
    by_id = {row.id: dict(row._mapping) for row in rows}
    return [by_id[d] for d in document_ids if d in by_id]


def dossiers_of_document(engine: sa.Engine, document_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(dossiers.c.id, dossiers.c.title)
            .join(dossier_documents, dossier_documents.c.dossier_id == dossiers.c.id)
            .where(dossier_documents.c.document_id == document_id)
            .order_by(dossiers.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def count_dossiers(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(dossiers)).scalar_one()


def set_dossier_title(engine: sa.Engine, dossier_id: str, title: str) -> bool:
    """Rename a dossier (an analyst's title wins over the generated one); False when there is no such dossier."""
    with engine.begin() as conn:
        changed = conn.execute(
            sa.update(dossiers).where(dossiers.c.id == dossier_id).values(title=title, updated=dt.datetime.now(dt.UTC))
        )
    return changed.rowcount > 0


# -- claims, incidents, entities ---------------------------------------------------------------


def list_claims(
    engine: sa.Engine,
    kind: str | None = None,
    speaker_state: str | None = None,
    subject_state: str | None = None,
    actor: str | None = None,
    dates: DateRange = DateRange(),
    document_id: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page:
    """Claims in RECORD.md shape plus the document they come from, newest document first."""
    statement = (
        sa.select(claims, documents.c.id.label("document_id"), documents.c.published, documents.c.title)
        .join(documents, documents.c.pk == claims.c.document_pk)
        .where(*dates.conditions())
        .order_by(documents.c.published.desc().nulls_last(), claims.c.pk)
    )
    if kind:
        statement = statement.where(claims.c.kind == kind)
    if speaker_state:
        statement = statement.where(claims.c.speaker_state == speaker_state.upper())
    if subject_state:
        statement = statement.where(claims.c.subject_state == subject_state.upper())
    if actor:
        statement = statement.where(sa.func.lower(claims.c.subject_actor) == actor.lower())
    if document_id:
        statement = statement.where(documents.c.id == document_id)
    with engine.connect() as conn:
        rows, total = _page(conn, statement, limit, offset)
        spans = _spans_by_owner(conn, evidence.c.claim_pk, [row.pk for row in rows])
    items = [
        {
            "id": row.ref,
            "kind": row.kind,
            "speaker": {"name": row.speaker, "role": row.speaker_role, "entity": row.speaker_entity},
            "speaker_state": row.speaker_state,
            "subject_state": row.subject_state,
            "subject_actor": row.subject_actor,
            "measure": row.measure,
            "hedged": row.hedged,
            "incident": row.incident_ref,
            "evidence": spans.get(row.pk, []),
            "document": {"id": row.document_id, "title": row.title, "published": row.published},
        }
        for row in rows
    ]
    return Page(items, total, limit, offset)


def list_incidents(
    engine: sa.Engine,
    incident_type: str | None = None,
    state: str | None = None,
    status: str | None = None,
    dates: DateRange = DateRange(),
    document_ids: list[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page:
    """Incidents in RECORD.md shape plus their document; ``state`` is a victim or attributed state."""
    statement = (
        sa.select(incidents, documents.c.id.label("document_id"), documents.c.published, documents.c.title)
        .join(documents, documents.c.pk == incidents.c.document_pk)
        .where(*dates.conditions())
        .order_by(documents.c.published.desc().nulls_last(), incidents.c.pk)
    )
    if incident_type:
        statement = statement.where(
            sa.select(incident_types.c.incident_pk)
            .where(incident_types.c.incident_pk == incidents.c.pk, incident_types.c.type == incident_type)
            .exists()
        )
    if status:
        statement = statement.where(incidents.c.status == status)
    if document_ids is not None:
        statement = statement.where(documents.c.id.in_(document_ids))
    with engine.connect() as conn:
        if state:
            wanted = state.upper()
            dialect = conn.dialect.name
            statement = statement.where(
                sa.or_(
                    json_list_contains(dialect, incidents.c.victim_states, wanted),
                    json_list_contains(dialect, incidents.c.attributed_states, wanted),
                )
            )
        rows, total = _page(conn, statement, limit, offset)
        pks = [row.pk for row in rows]
        spans = _spans_by_owner(conn, evidence.c.incident_pk, pks)
        types: dict[int, list[str]] = {}
        if pks:
            for pk, kind in conn.execute(
                sa.select(incident_types.c.incident_pk, incident_types.c.type)
                .where(incident_types.c.incident_pk.in_(pks))
                .order_by(incident_types.c.type)
            ):
                types.setdefault(pk, []).append(kind)
    items = [
        {
            "id": row.ref,
            "status": row.status,
            "types": types.get(row.pk, []),
            "victim_states": row.victim_states,
            "victim_sectors": row.victim_sectors,
            "attributed_states": row.attributed_states,
            "actors": row.actors,
            "evidence": spans.get(row.pk, []),
            "document": {"id": row.document_id, "title": row.title, "published": row.published},
        }
        for row in rows
    ]
    return Page(items, total, limit, offset)


def list_entities(
    engine: sa.Engine,
    kind: str | None = None,
    state: str | None = None,
    name: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> Page:
    """Entities with their aliases, KB ids and how many documents mention them, most mentioned first."""
    documents_count = sa.func.count(sa.distinct(mentions.c.document_pk)).label("documents")
    statement = (
        sa.select(entities, documents_count)
        .select_from(entities.outerjoin(mentions, mentions.c.entity_pk == entities.c.pk))
        .group_by(entities.c.pk)
        .order_by(documents_count.desc(), entities.c.name)
    )
    if kind:
        statement = statement.where(entities.c.kind == kind)
    if state:
        statement = statement.where(entities.c.state == state.upper())
    if name:
        statement = statement.where(
            entities.c.pk.in_(sa.select(entity_names.c.entity_pk).where(entity_names.c.name == fold_name(name)))
        )
    with engine.connect() as conn:
        rows, total = _page(conn, statement, limit, offset)
    items = [
        {
            "name": row.name,
            "type": row.kind,
            "state": row.state,
            "aliases": row.aliases,
            "kb": row.kb,
            "documents": row.documents,
        }
        for row in rows
    ]
    return Page(items, total, limit, offset)


# -- actor and state pages ---------------------------------------------------------------------


@dataclass
class ActorView:
    name: str
    type: str
    state: str | None
    aliases: list[str]
    kb: dict[str, str]
    documents: int
    accusers: dict[str, int] = field(default_factory=dict)  # speaker state -> attribution claims naming it
    reactions: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> speaker state -> count
    incident_types: dict[str, int] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)  # documents naming it, newest first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def actor_view(engine: sa.Engine, name: str, recent: int = 20) -> ActorView | None:
    """An actor, malware or operation by any of its names: who accuses it, how they respond, where it appears."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(entities)
            .join(entity_names, entity_names.c.entity_pk == entities.c.pk)
            .where(entity_names.c.name == fold_name(name))
            .order_by(sa.case((entities.c.kind == "threat_actor", 0), else_=1), entities.c.pk)
            .limit(1)
        ).first()
        if row is None:
            return None
        names = [row.name, *row.aliases]
        mentioning = sa.select(mentions.c.document_pk).where(mentions.c.entity_pk == row.pk)
        subject = sa.func.lower(claims.c.subject_actor).in_([n.lower() for n in names])
        in_documents = claims.c.document_pk.in_(mentioning)
        view = ActorView(row.name, row.kind, row.state, list(row.aliases), dict(row.kb), 0)
        view.documents = conn.execute(
            sa.select(sa.func.count(sa.distinct(mentions.c.document_pk))).where(mentions.c.entity_pk == row.pk)
        ).scalar_one()
        for kind, speaker, count in conn.execute(
            sa.select(claims.c.kind, claims.c.speaker_state, sa.func.count())
            .where(sa.or_(subject, in_documents))
            .group_by(claims.c.kind, claims.c.speaker_state)
        ):
            label = speaker or "unattributed"
            if kind == "attribution":
                view.accusers[label] = view.accusers.get(label, 0) + count
            else:
                view.reactions.setdefault(kind, {})[label] = count
        view.incident_types = dict(
            conn.execute(
                sa.select(incident_types.c.type, sa.func.count(sa.distinct(incident_types.c.document_pk)))
                .where(incident_types.c.document_pk.in_(mentioning))
                .group_by(incident_types.c.type)
                .order_by(sa.func.count(sa.distinct(incident_types.c.document_pk)).desc())
            ).all()
        )
        view.recent = _recent_documents(conn, documents.c.pk.in_(mentioning), recent)
    view.accusers = dict(sorted(view.accusers.items(), key=lambda item: -item[1]))
    return view


@dataclass
class StateView:
    code: str
    name: str | None
    accused_by: dict[str, int] = field(default_factory=dict)  # attributions holding it responsible
    accuses: dict[str, int] = field(default_factory=dict)  # its own attributions and counter-accusations
    answers: dict[str, int] = field(default_factory=dict)  # its claims by kind: denial, counter_accusation...
    responses_against: dict[str, int] = field(default_factory=dict)  # measures others took against it
    victim_of: dict[str, int] = field(default_factory=dict)  # incident types where it is a victim
    actors: list[dict[str, Any]] = field(default_factory=list)  # threat actors linked with it
    recent: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def state_view(engine: sa.Engine, code: str, recent: int = 20) -> StateView:
    """A state: who accuses it, whom it accuses, how it answers, the measures against it, its actors."""
    code = code.upper()
    view = StateView(code, state_name(code))
    with engine.connect() as conn:

        def grouped(column: sa.ColumnElement, *where: sa.ColumnElement[bool]) -> dict[str, int]:
            count = sa.func.count()
            rows = conn.execute(sa.select(column, count).where(*where).group_by(column).order_by(count.desc()))
            return {(value or "unattributed"): n for value, n in rows}

        view.accused_by = grouped(
            claims.c.speaker_state, claims.c.kind == "attribution", claims.c.subject_state == code
        )
        view.accuses = grouped(
            claims.c.subject_state, claims.c.kind.in_(ACCUSING_KINDS), claims.c.speaker_state == code
        )
        view.accuses.pop(code, None)
        view.answers = grouped(claims.c.kind, claims.c.speaker_state == code)
        view.responses_against = grouped(
            claims.c.speaker_state, claims.c.kind == "response", claims.c.subject_state == code
        )
        actor_rows = conn.execute(
            sa.select(entities.c.name, entities.c.kind, entities.c.kb)
            .where(entities.c.state == code, entities.c.kind.in_(("threat_actor", "malware", "operation")))
            .order_by(entities.c.kind.desc(), entities.c.name)
            .limit(50)
        )
        view.actors = [{"name": n, "type": k, "kb": kb} for n, k, kb in actor_rows]
        involved = sa.select(claims.c.document_pk).where(
            sa.or_(claims.c.speaker_state == code, claims.c.subject_state == code)
        )
        count = sa.func.count(sa.distinct(incidents.c.pk))
        victims = conn.execute(
            sa.select(incident_types.c.type, count)
            .join(incidents, incident_types.c.incident_pk == incidents.c.pk)
            .where(
                incidents.c.status == "reported",
                json_list_contains(conn.dialect.name, incidents.c.victim_states, code),
            )
            .group_by(incident_types.c.type)
            .order_by(count.desc())
        )
        view.victim_of = dict(victims.all())
        view.recent = _recent_documents(conn, documents.c.pk.in_(involved), recent)
    return view


def state_name(code: str) -> str | None:
    if code == "EU":
        return "European Union"
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", None) if country else None


def _recent_documents(conn: sa.Connection, condition: sa.ColumnElement[bool], limit: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(documents.c.id, documents.c.title, documents.c.outlet, documents.c.published, documents.c.language)
        .where(condition)
        .order_by(documents.c.published.desc().nulls_last(), documents.c.pk.desc())
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows]


# -- who accuses whom ---------------------------------------------------------------------------


@dataclass
class Matrix:
    """Accuser × accused counts of claims, denials on the diagonal, and claims per month by kind."""

    since: str | None
    until: str | None
    states: list[str]
    cells: dict[str, dict[str, int]]  # accuser -> accused -> attributions and counter-accusations
    denials: dict[str, int]  # state -> denials it made about itself
    months: list[str]
    per_month: dict[str, dict[str, int]]  # kind -> month -> claims

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def who_accuses_whom(engine: sa.Engine, dates: DateRange = DateRange(), max_states: int = 15) -> Matrix:
    """The matrix over claims with both states known, in documents published in ``dates``."""
    conditions = dates.conditions()
    with engine.connect() as conn:
        pairs = conn.execute(
            sa.select(claims.c.kind, claims.c.speaker_state, claims.c.subject_state, sa.func.count())
            .join(documents, documents.c.pk == claims.c.document_pk)
            .where(
                claims.c.kind.in_((*ACCUSING_KINDS, "denial")),
                claims.c.speaker_state.is_not(None),
                claims.c.subject_state.is_not(None),
                *conditions,
            )
            .group_by(claims.c.kind, claims.c.speaker_state, claims.c.subject_state)
        ).all()
        month = sa.func.substr(documents.c.published, 1, 7)
        timeline = conn.execute(
            sa.select(claims.c.kind, month, sa.func.count())
            .join(documents, documents.c.pk == claims.c.document_pk)
            .where(documents.c.published.is_not(None), *conditions)
            .group_by(claims.c.kind, month)
        ).all()
    cells: dict[str, dict[str, int]] = {}
    denials: dict[str, int] = {}
    weight: Counter[str] = Counter()
    for kind, speaker, subject, count in pairs:
        if kind == "denial":
            # A state denying its own responsibility is the diagonal; denying for another is rare and left out.
            if speaker == subject:
                denials[speaker] = denials.get(speaker, 0) + count
                weight[speaker] += count
        elif speaker != subject:
            row = cells.setdefault(speaker, {})
            row[subject] = row.get(subject, 0) + count
            weight[speaker] += count
            weight[subject] += count
    states = [s for s, _ in sorted(weight.items(), key=lambda item: (-item[1], item[0]))[:max_states]]
    per_month: dict[str, dict[str, int]] = {}
    months: set[str] = set()
    for kind, when, count in timeline:
        if when and len(when) == 7:
            per_month.setdefault(kind, {})[when] = count
            months.add(when)
    return Matrix(dates.since, dates.until, states, cells, denials, sorted(months), per_month)
