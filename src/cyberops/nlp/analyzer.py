"""The analyzer: one Article in, one Record out.

Stages, cheapest first (an irrelevant article costs a scan, not a tokenization):

1. the screen, on the raw string: language (lingua, with a script shortcut) and
   publication date; the relevance pass over cue lexicons, then the knowledge-base
   scan (states, actors, malware, operations, bodies, officials) unless even the
   most the KB could add would leave the article irrelevant — stop here if
   irrelevant (docs/decisions/cheap-path.md);
2. for a relevant article, a Doc of its text through the spaCy components of
   ``components.py``: sentences, titled persons, the language model over the
   sentences worth it, claims, entities, incidents
   (docs/decisions/spacy-components.md);
3. ``to_record`` moves what the components found onto the record.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from cyberops import __version__
from cyberops.nlp.claim_cues import load_claim_cues
from cyberops.nlp.components import build_components, screened_doc
from cyberops.nlp.incident_types import IncidentTypeScanner
from cyberops.nlp.mentions import Mention
from cyberops.nlp.pipelines import Pipelines
from cyberops.nlp.to_record import to_record
from cyberops.record import Article, Record
from cyberops.settings import Settings

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

ANALYZER_VERSION = f"cyberops/{__version__}"
_ENTITY_KINDS = ("threat_actor", "malware", "operation")


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

    @cached_property
    def components(self) -> Language:
        """The spaCy components that analyze a relevant article's Doc, built once, sharing the
        analyzer's KB, type lexicons and language models."""
        return build_components(self.kb, self.incident_types, self.pipelines)

    # -- entry points ---------------------------------------------------------------

    def prepare(self, languages: Iterable[str | None]) -> None:
        """Load now what the analyzer would load on first use: the KB, the component pipeline and,
        per language, the cue lexicons, claim cues, date data and spaCy model. A worker calls it
        before its stream, so the first relevant article of each language does not pay for
        compiling them."""
        from cyberops.nlp.published import prepare as prepare_dates

        kb = self.kb  # noqa: F841 - loading it is the point
        components = self.components  # noqa: F841 - building it is the point
        for lang in languages:
            # A one-character scan builds a lexicon's automaton; an empty one returns early.
            self.relevance.cues(" ", lang)
            self.incident_types.scan(" ", lang)
            load_claim_cues(lang)
            prepare_dates(lang)
            if self.pipelines.has_model(lang):
                self.pipelines.get(lang)  # type: ignore[arg-type]

    def screening(self, article: Article) -> tuple[Record, list[Mention]]:
        """The cheap pass alone (language, date, KB scan, relevance), loading no spaCy model: the
        screen's record and the KB mentions it found (none where the KB scan was skipped).

        An irrelevant article's record is final; a relevant one's still lacks its facts, which
        ``parse`` adds, in another process if need be: batch engines keep irrelevant articles away
        from the workers that hold the parsers.
        """
        return self._screen(article)

    def screened(self, article: Article) -> tuple[Record, Doc | None]:
        """The screen's record and, for a relevant article only, the Doc the components read."""
        record, kb_mentions = self._screen(article)
        if not record.relevant:
            return record, None
        return record, screened_doc(self.components, record.text, record.language, kb_mentions)

    def analyze(self, article: Article) -> Record:
        record, kb_mentions = self._screen(article)
        return self.parse(record, kb_mentions) if record.relevant else record

    def parse(self, record: Record, kb_mentions: list[Mention]) -> Record:
        """The full analysis of an article the screen found relevant, from what ``screening`` gave:
        the same record as ``analyze``, without screening again."""
        doc = screened_doc(self.components, record.text, record.language, kb_mentions)
        return to_record(self.components(doc), record)

    def analyze_many(self, articles: Iterable[Article]) -> Iterator[Record]:
        """The records of ``articles``, in their order: the same as ``analyze`` one by one, with the
        relevant articles' Docs streamed through ``Language.pipe``, each with its record as context."""
        records: deque[Record] = deque()

        def relevant_docs() -> Iterator[tuple[Doc, Record]]:
            for article in articles:
                record, doc = self.screened(article)
                records.append(record)
                if doc is not None:
                    yield doc, record

        for doc, record in self.components.pipe(relevant_docs(), as_tuples=True):
            # The irrelevant articles screened before this one are final: hand them out first.
            while records[0] is not record:
                yield records.popleft()
            records.popleft()
            yield to_record(doc, record)
        yield from records

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
