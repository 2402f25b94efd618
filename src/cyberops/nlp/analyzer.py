"""The analyzer: one Article in, one Record out.

Stages, cheapest first (an irrelevant article costs a scan, not a parse):

1. language (lingua, with a script shortcut) and publication date;
2. the relevance pass over cue lexicons, then the knowledge-base scan (states,
   actors, malware, operations, bodies, officials) unless even the most the KB
   could add would leave the article irrelevant — stop here if irrelevant;
3. sentences; the ones holding claim cues go through the full spaCy pipeline,
   the others through NER only; the NER (one batch per article) reads only
   sentences that could name someone (a capitalized word that is not just the
   sentence's first);
4. claims, entities, incidents, assembled into the record by ``to_record``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from cyberops import __version__
from cyberops.nlp.claim_cues import PARSE_GROUPS, ClaimCues, load_claim_cues
from cyberops.nlp.claims import ClaimFinder, merge_claims
from cyberops.nlp.entities import build_entities, organization_mentions, person_mentions
from cyberops.nlp.incident_types import IncidentTypeScanner, document_types
from cyberops.nlp.incidents import build_incidents
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.pipelines import ModelTable, Pipelines
from cyberops.nlp.sentences import split_sentences
from cyberops.nlp.titled_persons import add_latin_aliases, add_titled_persons
from cyberops.record import Article, Record
from cyberops.settings import Settings

if TYPE_CHECKING:
    from spacy.tokens import Doc

ANALYZER_VERSION = f"cyberops/{__version__}"
_ENTITY_KINDS = ("threat_actor", "malware", "operation")
# The KB already gives each malware the incident type its use suggests; only
# these hints are trusted to type an incident on their own (measured on dev).
TRUSTED_MALWARE_HINTS = frozenset({"ransomware", "surveillance", "ddos"})


class Analyzer:
    """Holds the loaded resources (KB, models, lexicons); build one per process."""

    def __init__(self, settings: Settings | None = None, kb: object | None = None) -> None:
        self.settings = settings or Settings()
        self._kb = kb

    @cached_property
    def kb(self):
        if self._kb is None:
            from cyberops.kb import load_kb

            self._kb = load_kb(self.settings)
        return self._kb

    @cached_property
    def languages(self):
        from cyberops.nlp.language import LanguageIdentifier

        return LanguageIdentifier()

    @cached_property
    def relevance(self):
        from cyberops.nlp.relevance import RelevanceScanner

        return RelevanceScanner()

    @cached_property
    def incident_types(self) -> IncidentTypeScanner:
        return IncidentTypeScanner()

    @cached_property
    def pipelines(self) -> Pipelines:
        return Pipelines(batch_size=self.settings.batch_size)

    # -- entry points ---------------------------------------------------------------

    def prepare(self, languages: Iterable[str | None]) -> None:
        """Load now what the analyzer would load on first use: the KB and, per language, the cue
        lexicons, claim cues, date data and spaCy model. A worker calls it before its stream, so
        the first relevant article of each language does not pay for compiling them."""
        from cyberops.nlp.published import prepare as prepare_dates

        kb = self.kb  # noqa: F841 - loading it is the point
        for lang in languages:
            # A one-character scan builds a lexicon's automaton; an empty one returns early.
            self.relevance.cues(" ", lang)
            self.incident_types.scan(" ", lang)
            load_claim_cues(lang)
            prepare_dates(lang)
            if self.pipelines.has_model(lang):
                self.pipelines.get(lang)  # type: ignore[arg-type]

    def screen(self, article: Article) -> Record:
        """The cheap pass alone (language, date, KB scan, relevance), loading no spaCy model.

        An irrelevant article's record is final; a relevant one's still lacks its facts
        (``analyze`` adds them). Batch engines use it to keep irrelevant articles away from
        the workers that hold the parsers.
        """
        return self._screen(article)[0]

    def analyze(self, article: Article) -> Record:
        record, kb_mentions = self._screen(article)
        if not record.relevant:
            return record
        text, lang = record.text, record.language
        cues = load_claim_cues(lang)
        sentences = self._sentences(text, kb_mentions, cues)
        # Languages without an NER model find speakers by their titles (patterns/<lang>/persons.json).
        latin_names = add_titled_persons(sentences, lang)
        if self.pipelines.has_model(lang):
            self._read_with_model(lang, sentences)  # type: ignore[arg-type]
        mentions = [m for s in sentences for m in s.mentions]
        claims = merge_claims(ClaimFinder(cues).find(sentences))
        entities = build_entities(mentions, self.kb)
        add_latin_aliases(entities, latin_names)
        type_cues = self.incident_types.scan(text, lang)
        record.claims = claims
        record.entities = entities
        record.incidents = build_incidents(
            sentences,
            entities,
            claims,
            type_cues,
            lambda found: document_types(found, len(text)),
            self._type_hints(kb_mentions),
        )
        return record

    # -- stages ---------------------------------------------------------------------

    def _screen(self, article: Article) -> tuple[Record, list[Mention]]:
        from cyberops.nlp.published import find_published

        text = article.text
        lang = self.languages.detect(text, hint=article.language)
        published = find_published(article.raw_text or text, article.url, article.published, lang)
        record = Record(
            id=article.id,
            text=text,
            url=article.url,
            title=article.title,
            language=lang,
            published=published.date if published else None,
            outlet=article.outlet,
            analyzer=ANALYZER_VERSION,
        )
        # Cue lexicon first, KB second: the KB adds a fixed weight per threat actor, malware or
        # operation named, up to a cap. When the cues leave the article short of the threshold by
        # more than the cap, or by more hits than an upper bound of the names present (a quick look
        # for those aliases alone), the full KB scan is skipped: the decision is the same either way.
        relevance_cues = self.relevance.cues(text, lang)
        needed = self.relevance.kb_hits_needed(relevance_cues, len(text))
        if needed is None or self.kb.most_mentions(text, _ENTITY_KINDS, needed) < needed:
            return record, []
        kb_mentions = self._kb_mentions(text)
        cyber_hits = sum(1 for m in kb_mentions if m.kind in _ENTITY_KINDS)
        record.relevant = self.relevance.decide(relevance_cues, len(text), kb_hits=cyber_hits).relevant
        return record, kb_mentions

    def _kb_mentions(self, text: str) -> list[Mention]:
        mentions = []
        for match in self.kb.scan(text):
            if match.kind == "state":
                term = self.kb.state_term(match.entry_id)
                mentions.append(
                    Mention(match.start, match.end, match.text, "state", term.code, term.form, match.entry_id)
                )
            else:
                entry = self.kb.entry(match.entry_id)
                mentions.append(
                    Mention(match.start, match.end, match.text, entry.type, entry.state, "kb", match.entry_id)
                )
        return mentions

    def _type_hints(self, mentions: list[Mention]) -> dict[str, str]:
        hints = {}
        for mention in mentions:
            if mention.entry_id is None or mention.kind == "state":
                continue
            entry = self.kb.entry(mention.entry_id)
            if entry.malware_kind in TRUSTED_MALWARE_HINTS:
                hints[entry.name] = entry.malware_kind
        return hints

    def _sentences(self, text: str, mentions: list[Mention], cues: ClaimCues) -> list[SentenceView]:
        all_cues = cues.find_all(text)
        sentences = []
        for index, span in enumerate(split_sentences(text)):
            inside = [m for m in mentions if span.start <= m.start and m.end <= span.end]
            sentence_cues = {
                group: [c for c in found if span.start <= c.start and c.end <= span.end]
                for group, found in all_cues.items()
            }
            sentence_cues = {group: found for group, found in sentence_cues.items() if found}
            sentences.append(
                SentenceView(
                    index,
                    span,
                    text[span.start : span.end],
                    inside,
                    sentence_cues,
                    adjectives_follow_noun=cues.adjectives_follow_noun,
                    linking_words=cues.linking_words,
                    host_words=cues.host_words,
                    auxiliaries=cues.auxiliaries,
                    verb_first=cues.verb_first,
                )
            )
        return sentences

    def _read_with_model(self, lang: str, sentences: list[SentenceView]) -> None:
        table = self.pipelines.table
        to_parse = [s for s in sentences if any(g in s.cues for g in PARSE_GROUPS)]
        names = _capitalized_inside(sentences)
        to_tag = [s for s in sentences if not any(g in s.cues for g in PARSE_GROUPS) and _may_name(s.text, names)]
        parsed, tagged = self.pipelines.read(
            lang, [s.text for s in to_parse], [s.text for s in to_tag], [_may_name(s.text, names) for s in to_parse]
        )
        for sentence, doc in zip(to_parse, parsed, strict=True):
            sentence.doc = doc
            self._add_ner(sentence, doc, table)
        for sentence, doc in zip(to_tag, tagged, strict=True):
            sentence.doc = None
            self._add_ner(sentence, doc, table)
        _share_person_states(sentences)

    def _add_ner(self, sentence: SentenceView, doc: Doc, table: ModelTable) -> None:
        offset = sentence.span.start
        ents = [(offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents]
        sentence.mentions.extend(person_mentions(sentence, ents, table.person_labels))
        sentence.mentions.extend(organization_mentions(sentence, ents, table.organization_labels))
        sentence.mentions.sort(key=lambda m: m.start)


# Words, for the casing test below: a name is a word with a capital letter in it.
_WORD = re.compile(r"\w+")


def _capitalized_inside(sentences: list[SentenceView]) -> frozenset[str]:
    """The words of the article written with a capital letter where no capital is forced (not
    opening their sentence): the words the article itself treats as names."""
    return frozenset(
        word for s in sentences for word in _WORD.findall(s.text)[1:] if not word.islower() and not word.isdigit()
    )


def _may_name(text: str, names: frozenset[str]) -> bool:
    """Could the NER find a person or organization here? Only where a name is written as one: a
    capitalized word after the first, or an opening word that the article capitalizes elsewhere
    too ("Microsoft has…", not "Alerts will…"). A sentence whose only capital is the one its
    first word must take yields nothing the record needs, so it skips the NER (measured on dev
    and news: the same persons; see docs/decisions/sentence-selection.md)."""
    words = _WORD.findall(text)
    if not words:
        return False
    if words[0] in names:
        return True
    return any(not word.islower() and not word.isdigit() for word in words[1:])


def _share_person_states(sentences: list[SentenceView]) -> None:
    """Give "Mao said" the state found for "spokeswoman Mao Ning" earlier in the article."""
    known: dict[str, str] = {}
    for sentence in sentences:
        for mention in sentence.mentions:
            if mention.kind == "person" and mention.state:
                for word in mention.text.split():
                    known.setdefault(word.casefold(), mention.state)
    for sentence in sentences:
        for index, mention in enumerate(sentence.mentions):
            if mention.kind == "person" and not mention.state:
                state = known.get(mention.text.split()[-1].casefold()) or known.get(mention.text.split()[0].casefold())
                if state:
                    sentence.mentions[index] = Mention(
                        mention.start, mention.end, mention.text, "person", state, mention.form, mention.entry_id
                    )
