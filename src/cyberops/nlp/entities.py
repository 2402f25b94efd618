"""Entities: people and organizations from NER, linked to the knowledge base.

The knowledge base names threat actors, malware, operations, state bodies and
well-known officials; spaCy's NER adds the people and organizations it does
not know. A person's state and role come from the KB, else from the words
around the name ("Kremlin spokesman Dmitry Peskov", "la porte-parole du
ministère chinois des Affaires étrangères, Hua Chunying").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.record import Entity, Span, as_entity_type

if TYPE_CHECKING:
    from cyberops.kb.knowledge_base import KnowledgeBase

# A plausible personal name: two to five capitalised words, initials allowed.
_NAME_WORD = re.compile(r"^(?:[A-Z]\.|[A-ZÀ-ÖØ-Þ][\w'’\-]*[a-zà-ÿ][\w'’\-]*)$")
_ROLE_WINDOW = 70
_WORD = re.compile(r"\w+'?", re.UNICODE)


def person_mentions(
    sentence: SentenceView, ents: Iterable[tuple[int, int, str]], labels: frozenset[str]
) -> list[Mention]:
    """Person mentions from NER spans ``(start, end, label)`` (absolute offsets)."""
    taken = [(m.start, m.end) for m in sentence.mentions]
    found = []
    for start, end, label in ents:
        if label not in labels or _overlaps(taken, start, end):
            continue
        text = sentence.text[start - sentence.span.start : end - sentence.span.start]
        # A lone surname is kept only to join a full name met elsewhere ("Peskov").
        form = "surname" if len(text.split()) == 1 and _NAME_WORD.match(text) and len(text) > 2 else "ner"
        if form == "ner" and not plausible_name(text):
            continue
        state = role_state(sentence, start, end)
        found.append(Mention(start, end, text, "person", state=state, form=form))
    return found


def organization_mentions(
    sentence: SentenceView, ents: Iterable[tuple[int, int, str]], labels: frozenset[str]
) -> list[Mention]:
    taken = [(m.start, m.end) for m in sentence.mentions if m.kind != "state"]
    found = []
    for start, end, label in ents:
        if label not in labels or _overlaps(taken, start, end):
            continue
        text = sentence.text[start - sentence.span.start : end - sentence.span.start].strip()
        if len(text) < 2 or "\n" in text:
            continue
        inside = [m for m in sentence.mentions if m.kind == "state" and m.start >= start and m.end <= end]
        # A bare state name tagged ORG ("Russia") is a state, not an organization.
        if inside and inside[0].start == start and inside[0].end == end:
            continue
        # A capital in a name ("The Washington Post", "Moscow Times") does not make it a state body.
        owners = [m for m in inside if m.form != "metonym"]
        found.append(Mention(start, end, text, "organization", state=owners[0].state if owners else None, form="ner"))
    return found


def plausible_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return False
    if text.isupper():
        return False
    return all(
        _NAME_WORD.match(w) or w.lower() in {"de", "van", "von", "al", "bin", "el", "la", "le", "da"} for w in words
    )


def role_state(sentence: SentenceView, start: int, end: int) -> str | None:
    """The state named by the role words right before or after a person's name."""
    roles = sentence.cues.get("role_noun", [])
    before = [r for r in roles if r.end <= start and start - r.end <= _ROLE_WINDOW]
    after = [r for r in roles if r.start >= end and r.start - end <= 30]
    if before:
        window = (max(sentence.span.start, before[0].start - _ROLE_WINDOW // 2), start)
    elif after:
        window = (end, min(sentence.span.end, after[0].end + _ROLE_WINDOW))
    else:
        return None
    offset = sentence.span.start
    gap = sentence.text[window[0] - offset : window[1] - offset]
    if any(mark in gap for mark in '«»"“”') and before:
        # The name closes a quote; the role words belong to somebody else.
        return None
    states = [
        m
        for m in sentence.mentions
        if m.state
        and m.kind in ("state", "organization")
        and window[0] <= m.start < window[1]
        and not _hosts(sentence, m)
    ]
    return states[-1].state if states and before else (states[0].state if states else None)


def _hosts(sentence: SentenceView, mention: Mention) -> bool:
    """The state is where the role is held ("ambassador to Germany", "envoyé en France"), not the person's own."""
    before = sentence.text[max(0, mention.start - sentence.span.start - 20) : mention.start - sentence.span.start]
    words = [w.casefold() for w in _WORD.findall(before)][-2:]
    if words and words[-1] in sentence.order.host_words:
        return True
    # "to the United States", "auprès de la France": a short word may stand between them.
    return len(words) == 2 and words[0] in sentence.order.host_words and len(words[1]) <= 3


def _overlaps(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def build_entities(mentions: list[Mention], kb: KnowledgeBase) -> list[Entity]:
    """Group mentions into entities: KB entries by id, NER names by their folded text.

    A later bare surname ("Peskov") joins the full name met before ("Dmitry Peskov").
    """
    entities: dict[str, Entity] = {}
    surnames: dict[str, str] = {}
    for mention in sorted(mentions, key=lambda m: m.start):
        if mention.kind == "state":
            continue
        if mention.entry_id:
            key = mention.entry_id
            if key not in entities:
                entry = kb.entry(mention.entry_id)
                entities[key] = Entity(
                    id="",
                    name=entry.name,
                    type=as_entity_type(entry.type),
                    state=entry.state,
                    aliases=[a for a in entry.aliases if a != entry.name][:12],
                    kb=dict(entry.kb),
                    role=getattr(entry, "role", None),
                )
        else:
            folded = fold(mention.text)
            if mention.form == "surname" and folded not in surnames:
                continue
            key = surnames.get(folded, f"{mention.kind}:{folded}")
            if key not in entities:
                entities[key] = Entity(id="", name=mention.text, type=as_entity_type(mention.kind), state=mention.state)
            if mention.kind == "person":
                surnames.setdefault(folded.split()[-1], key)
        entity = entities[key]
        if entity.state is None and mention.state:
            entity.state = mention.state
        span = Span(mention.start, mention.end)
        if span not in entity.mentions:
            entity.mentions.append(span)
    result = list(entities.values())
    for number, entity in enumerate(result, 1):
        entity.id = f"e{number}"
    return result
