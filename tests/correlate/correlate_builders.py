"""Build small Records for correlation tests: spans are found in the text, so they always agree with it."""

from __future__ import annotations

from typing import Any

from cyberops.record import Claim, Entity, Incident, Record, Span, Speaker


def span_of(text: str, piece: str) -> Span:
    start = text.find(piece)
    assert start >= 0, f"{piece!r} is not in the text"
    return Span(start, start + len(piece))


def mentions_of(text: str, name: str) -> list[Span]:
    found, start = [], text.find(name)
    while start >= 0:
        found.append(Span(start, start + len(name)))
        start = text.find(name, start + 1)
    return found


def article(
    doc_id: str,
    text: str,
    *,
    published: str | None = None,
    language: str = "en",
    outlet: str | None = "Example Wire",
    entities: list[dict[str, Any]] = (),
    incidents: list[dict[str, Any]] = (),
    claims: list[dict[str, Any]] = (),
) -> Record:
    """``entities``/``incidents``/``claims`` are dicts of RECORD.md fields; ``evidence`` is a piece of the text."""
    built_entities = [
        Entity(
            id=f"e{n}",
            name=e["name"],
            type=e["type"],
            state=e.get("state"),
            aliases=list(e.get("aliases", [])),
            kb=dict(e.get("kb", {})),
            mentions=mentions_of(text, e["name"]),
        )
        for n, e in enumerate(entities, 1)
    ]
    built_incidents = [
        Incident(
            id=f"i{n}",
            status=i.get("status", "reported"),
            types=list(i.get("types", [])),
            victim_states=list(i.get("victims", [])),
            attributed_states=list(i.get("attributed", [])),
            actors=list(i.get("actors", [])),
            evidence=[span_of(text, i["evidence"])] if i.get("evidence") else [],
        )
        for n, i in enumerate(incidents, 1)
    ]
    built_claims = [
        Claim(
            id=f"c{n}",
            kind=c["kind"],
            speaker=Speaker(name=c.get("speaker"), role=c.get("role")),
            speaker_state=c.get("speaker_state"),
            subject_state=c.get("subject_state"),
            measure=c.get("measure"),
            incident=c.get("incident"),
            evidence=[span_of(text, c["evidence"])] if c.get("evidence") else [],
        )
        for n, c in enumerate(claims, 1)
    ]
    return Record(
        id=doc_id,
        text=text,
        url=f"https://news.example/{doc_id}",
        title=text.split(".")[0],
        language=language,
        published=published,
        relevant=True,
        entities=built_entities,
        incidents=built_incidents,
        claims=built_claims,
        outlet=outlet,
    )
