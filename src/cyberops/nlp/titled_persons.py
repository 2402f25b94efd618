"""People and missions found by the words around them, for languages without an NER model.

News names a speaker by title first: "представитель МИД КНР Ван Вэньбинь",
"外交部发言人汪文斌", "Außenamtssprecher Bahram Ghassemi". Each language lists
in ``patterns/<lang>/persons.json``:

- ``titles``: regular-expression fragments for the roles that introduce a name;
- ``name``: what a name looks like in the script (capitalised words, or a
  Chinese surname and one or two characters followed by a speech verb);
- ``max_gap``: how many characters of qualifier ("МИД КНР", "of the Foreign
  Ministry") may stand between the title and the name;
- ``missions``: nouns for embassies and delegations ("Botschaft", "посольство",
  "使馆"): with the state next to them they make one body that speaks for
  that state ("chinesische Botschaft in Berlin" speaks for China, not Germany);
- ``word_boundaries``: false for scripts written without spaces.

A person takes the state named in their title or qualifier ("российского
президента Дмитрий Песков" -> RU). The mentions have the shape of
:class:`~cyberops.nlp.mentions.Mention`, ``form="title"``; a name in another
script also gets its Latin form (see :mod:`cyberops.nlp.transliterate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from cyberops.errors import CyberopsError
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.transliterate import to_latin
from cyberops.record import Entity

# A qualifier never runs across these: the name would belong to another clause.
_BREAK = re.compile(r'[.;:!?«»“”"()\[\]\n。；：！？]')
# How far a mission's own state may stand from the mission noun.
_OWNER_REACH = 14
# "in Berlin", "en Berlín", "в Берлине": the host state right after a mission.
_HOST_REACH = 6


class PersonPatternError(CyberopsError):
    """A persons.json file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class PersonPatterns:
    lang: str
    titles: re.Pattern[str] | None
    name: re.Pattern[str] | None
    max_gap: int
    missions: re.Pattern[str] | None
    # Capitalised words of institutions that a name never contains ("Relações", "Exteriores").
    not_names: frozenset[str] = frozenset()
    # Also "Hossein Jaber Ansari, porta-voz": a name followed by a comma and its title.
    title_after: bool = False

    def __bool__(self) -> bool:
        return bool(self.titles and self.name) or self.missions is not None


def _alternation(lang: str, key: str, fragments: Iterable[str], boundaries: bool) -> re.Pattern[str] | None:
    fragments = list(fragments)
    if not fragments:
        return None
    for fragment in fragments:
        try:
            re.compile(fragment)
        except re.error as exc:
            raise PersonPatternError(f"patterns/{lang}/persons.json: {key}: bad pattern {fragment!r}: {exc}") from exc
    body = "|".join(sorted(fragments, key=len, reverse=True))
    if boundaries:
        return re.compile(rf"(?<![\w-])(?:{body})(?![\w])", re.IGNORECASE)
    return re.compile(rf"(?:{body})", re.IGNORECASE)


@cache
def load_person_patterns(lang: str | None) -> PersonPatterns:
    """The title and mission patterns of ``lang`` (empty when the language has no persons.json)."""
    empty = PersonPatterns(lang or "", None, None, 0, None)
    if not lang:
        return empty
    resource = resources.files("cyberops.nlp").joinpath(f"patterns/{lang}/persons.json")
    if not resource.is_file():
        return empty
    try:
        data = json.loads(resource.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise PersonPatternError(f"patterns/{lang}/persons.json: not valid JSON ({exc})") from exc
    boundaries = bool(data.get("word_boundaries", True))
    name = data.get("name")
    try:
        # Names are matched case-sensitively: capitals are what tell them from words.
        name_pattern = re.compile(name) if name else None
    except re.error as exc:
        raise PersonPatternError(f"patterns/{lang}/persons.json: name: bad pattern: {exc}") from exc
    return PersonPatterns(
        lang=lang,
        titles=_alternation(lang, "titles", data.get("titles", []), boundaries),
        name=name_pattern,
        max_gap=int(data.get("max_gap", 40)),
        missions=_alternation(lang, "missions", data.get("missions", []), boundaries),
        not_names=frozenset(w.casefold() for w in data.get("not_names", [])),
        title_after=bool(data.get("title_after", False)),
    )


@dataclass(frozen=True)
class TitledPerson:
    mention: Mention
    # The name in Latin script when it is written in another one, else None.
    latin: str | None
    title: str


def titled_persons(sentence: SentenceView, patterns: PersonPatterns) -> list[TitledPerson]:
    """Persons introduced by a title in ``sentence`` that no other mention covers yet."""
    if patterns.titles is None or patterns.name is None:
        return []
    text, offset = sentence.text, sentence.span.start
    found: list[TitledPerson] = []
    for title in patterns.titles.finditer(text):
        for name in patterns.name.finditer(text, title.end(), min(len(text), title.end() + patterns.max_gap + 60)):
            gap = text[title.end() : name.start()]
            if name.start() - title.end() > patterns.max_gap or _BREAK.search(gap):
                break
            start, end = offset + name.start(), offset + name.end()
            covering = [m for m in sentence.mentions if m.start < end and start < m.end]
            if any(m.kind == "person" for m in covering):
                break  # the knowledge base already knows this person
            if covering or _institution(name.group(0), patterns):
                continue  # "МИД КНР", "Relações Exteriores": part of the qualifier, not a name
            state = _title_state(sentence, offset + title.start(), start)
            found.append(_person(start, end, name.group(0), state, title.group(0), patterns))
            break
    if patterns.title_after:
        found.extend(_titles_after(sentence, patterns))
    return _distinct(found)


def _titles_after(sentence: SentenceView, patterns: PersonPatterns) -> list[TitledPerson]:
    """ "Hossein Jaber Ansari, porta-voz do ministério": a name, a comma, then the title."""
    assert patterns.name is not None and patterns.titles is not None
    text, offset = sentence.text, sentence.span.start
    found = []
    for name in patterns.name.finditer(text):
        link = _APPOSITION.match(text, name.end())
        title = patterns.titles.match(text, link.end()) if link else None
        if title is None or _institution(name.group(0), patterns):
            continue
        start, end = offset + name.start(), offset + name.end()
        if any(m.start < end and start < m.end for m in sentence.mentions):
            continue
        qualifier_end = offset + min(len(text), title.end() + 50)
        states = [
            m
            for m in sentence.mentions
            if m.state
            and offset + title.start() <= m.start
            and m.end <= qualifier_end
            and _clean(sentence, end, m.start)
        ]
        state = states[0].state if states else None
        found.append(_person(start, end, name.group(0), state, title.group(0), patterns))
    return found


# A comma and at most one short article between a name and its title.
_APPOSITION = re.compile(r",\s*(?:\w{1,3}\s+)?")


def _person(start: int, end: int, name: str, state: str | None, title: str, patterns: PersonPatterns) -> TitledPerson:
    mention = Mention(start, end, name, "person", state=state, form="title")
    return TitledPerson(mention, to_latin(name, patterns.lang), title)


def _institution(name: str, patterns: PersonPatterns) -> bool:
    return any(word.casefold() in patterns.not_names for word in name.split())


def _title_state(sentence: SentenceView, title_start: int, name_start: int) -> str | None:
    """The state named by the title and its qualifier, else by what stands right before the title."""
    inside = [m for m in sentence.mentions if m.state and title_start <= m.start and m.end <= name_start]
    if inside:
        return inside[-1].state
    before = [m for m in sentence.mentions if m.state and m.end <= title_start and title_start - m.end <= 3]
    return before[-1].state if before else None


def _distinct(found: list[TitledPerson]) -> list[TitledPerson]:
    seen: set[tuple[int, int]] = set()
    result = []
    for person in found:
        key = (person.mention.start, person.mention.end)
        if key not in seen:
            seen.add(key)
            result.append(person)
    return result


def mission_mentions(sentence: SentenceView, patterns: PersonPatterns) -> list[Mention]:
    """Embassies and delegations with the state they speak for ("la embajada de Rusia en Berlín" -> RU)."""
    if patterns.missions is None:
        return []
    text, offset = sentence.text, sentence.span.start
    states = [m for m in sentence.mentions if m.kind == "state"]
    found = []
    for noun in patterns.missions.finditer(text):
        start, end = offset + noun.start(), offset + noun.end()
        before = [
            m for m in states if m.end <= start and start - m.end <= _OWNER_REACH and _clean(sentence, m.end, start)
        ]
        after = [
            m for m in states if m.start >= end and m.start - end <= _OWNER_REACH and _clean(sentence, end, m.start)
        ]
        owner = before[-1] if before else (after[0] if after else None)
        if owner is None:
            continue
        low, high = min(owner.start, start), max(owner.end, end)
        hosts = [
            m for m in states if m.start >= high and m.start - high <= _HOST_REACH and _clean(sentence, high, m.start)
        ]
        # "中国驻英国使馆": a mission noun that already names its host takes no other one after it.
        names_host = any(start <= m.start and m.end <= end for m in states)
        if hosts and not names_host:
            high = hosts[0].end
        found.append(
            Mention(low, high, sentence.text[low - offset : high - offset], "organization", owner.state, "title")
        )
    return found


def _clean(sentence: SentenceView, start: int, end: int) -> bool:
    offset = sentence.span.start
    return not _BREAK.search(sentence.text[start - offset : end - offset])


def add_titled_persons(sentences: list[SentenceView], lang: str | None) -> dict[tuple[int, int], str]:
    """Add titled persons and missions to each sentence's mentions, in place.

    A mission is a body with the state it speaks for, so it is preferred as a
    speaker over the bare state terms inside it ("Botschaft in Berlin"). Returns the Latin form of every person
    name written in another script, keyed by the mention's (start, end).
    """
    patterns = load_person_patterns(lang)
    latin: dict[tuple[int, int], str] = {}
    if not patterns:
        return latin
    for sentence in sentences:
        # The state terms inside a mission stay: "中国驻英国使馆" still names Britain as a place.
        sentence.mentions.extend(mission_mentions(sentence, patterns))
        for person in titled_persons(sentence, patterns):
            sentence.mentions.append(person.mention)
            if person.latin:
                latin[(person.mention.start, person.mention.end)] = person.latin
        sentence.mentions.sort(key=lambda m: m.start)
    return latin


def add_latin_aliases(entities: Iterable[Entity], latin: dict[tuple[int, int], str]) -> None:
    """Give each person entity the Latin form of its name as an alias ("Дмитрий Песков" -> "Dmitry Peskov")."""
    if not latin:
        return
    for entity in entities:
        for span in entity.mentions:
            form = latin.get((span.start, span.end))
            if form and form != entity.name and form not in entity.aliases:
                entity.aliases.append(form)
