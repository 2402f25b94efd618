"""The analysis of a relevant article as small spaCy components.

The screen (``Analyzer.screening``) reads the raw string, so an irrelevant article, most of the news,
never becomes a Doc. A relevant one does: ``screened_doc`` makes a tokenizer-only Doc of its text
that carries what the screen found (``doc._.language``, ``doc._.kb_mentions``), the way a
tokenizer hands over the text. Then, in this order (``build_components``):

1. ``cyberops_sentences``: the sentence views (``doc._.sentences``), each with its KB mentions and
   claim cues;
2. ``cyberops_titled_persons``: persons and missions named by their titles, added to the views, and
   the Latin form of names written in another script (``doc._.latin_names``);
3. ``cyberops_language_model`` (``language_model.py``): parses and NER mentions, added to the views
   of the sentences worth reading with the language's model;
4. ``cyberops_claims``: ``doc._.claims``;
5. ``cyberops_entities``: ``doc._.entities``, linked to the KB;
6. ``cyberops_incidents``: ``doc._.incidents``, and the incident of each claim.

Any component may read the screen's facts; what it reads and writes of the others' work it declares
in ``requires``/``assigns`` (see ``nlp.analyze_pipes()``). All work on character offsets of the
article text, never on its tokens. ``to_record`` turns the Doc into the record's claims, entities
and incidents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import spacy
from spacy.errors import Errors
from spacy.language import Language
from spacy.tokenizer import Tokenizer  # type: ignore[import-not-found]  # Cython, no stub
from spacy.tokens import Doc
from spacy.vocab import Vocab

from cyberops.nlp.claim_cues import load_claim_cues
from cyberops.nlp.claims import ClaimFinder, merge_claims
from cyberops.nlp.entities import build_entities
from cyberops.nlp.incident_types import IncidentTypeScanner, document_types
from cyberops.nlp.incidents import build_incidents
from cyberops.nlp.language_model import ModelReader
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.pipelines import Pipelines
from cyberops.nlp.sentences import split_sentences
from cyberops.nlp.titled_persons import add_latin_aliases, add_titled_persons

if TYPE_CHECKING:
    from cyberops.kb.knowledge_base import KnowledgeBase

# The Doc's extensions: the screen's facts first, then what the components write.
EXTENSIONS = ("language", "kb_mentions", "sentences", "latin_names", "claims", "entities", "incidents")
# The KB already gives each malware the incident type its use suggests; only
# these hints are trusted to type an incident on their own (measured on dev).
TRUSTED_MALWARE_HINTS = frozenset({"ransomware", "surveillance", "ddos"})


def register_extensions() -> None:
    """Register the Doc extensions once per process (spaCy keeps them on the Doc class)."""
    for name in EXTENSIONS:
        if not Doc.has_extension(name):
            # None, not a list: a mutable default would be shared by every Doc.
            Doc.set_extension(name, default=None)


def build_components(kb: KnowledgeBase, incident_types: IncidentTypeScanner, models: Pipelines) -> Language:
    """The component pipeline, given the resources the analyzer has already loaded (loaded once,
    shared by every Doc)."""
    register_extensions()
    # No component reads tokens, so the Doc is split on spaces alone, and its vocabulary computes
    # no lexical attributes for the words it has not seen: the same text for a third of the cost
    # of the default tokenizer and lexemes (about 0.35 against 1.0 ms an article on the relevant news).
    nlp = spacy.blank("xx", vocab=Vocab())
    nlp.tokenizer = Tokenizer(nlp.vocab)
    nlp.add_pipe("cyberops_sentences")
    nlp.add_pipe("cyberops_titled_persons")
    cast(ModelReader, nlp.add_pipe("cyberops_language_model")).initialize(nlp=nlp, models=models)
    nlp.add_pipe("cyberops_claims")
    cast(EntityBuilder, nlp.add_pipe("cyberops_entities")).initialize(nlp=nlp, kb=kb)
    cast(IncidentBuilder, nlp.add_pipe("cyberops_incidents")).initialize(nlp=nlp, kb=kb, incident_types=incident_types)
    return nlp


def screened_doc(nlp: Language, text: str, language: str | None, kb_mentions: list[Mention]) -> Doc:
    """The Doc the components read: the article text with the screen's language and KB mentions."""
    doc = nlp.make_doc(text)
    doc._.language = language
    doc._.kb_mentions = kb_mentions
    return doc


@Language.component("cyberops_sentences", assigns=["doc._.sentences"])
def find_sentences(doc: Doc) -> Doc:
    """Split the text and give each sentence its KB mentions and claim cues (the language's cue lexicon)."""
    if doc._.kb_mentions is None:
        raise ValueError("cyberops_sentences reads the screen's findings: make the Doc with screened_doc()")
    text, mentions = doc.text, doc._.kb_mentions
    cues = load_claim_cues(doc._.language)
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
                order=cues.order,
            )
        )
    doc._.sentences = sentences
    return doc


@Language.component(
    "cyberops_titled_persons", requires=["doc._.sentences"], assigns=["doc._.sentences", "doc._.latin_names"]
)
def find_titled_persons(doc: Doc) -> Doc:
    """Languages without an NER model find speakers by their titles (patterns/<lang>/persons.json)."""
    doc._.latin_names = add_titled_persons(doc._.sentences, doc._.language)
    return doc


@Language.component("cyberops_claims", requires=["doc._.sentences"], assigns=["doc._.claims"])
def find_claims(doc: Doc) -> Doc:
    """The article's claims, one per (kind, speaker state, subject state)."""
    doc._.claims = merge_claims(ClaimFinder(load_claim_cues(doc._.language)).find(doc._.sentences))
    return doc


@Language.factory("cyberops_entities", requires=["doc._.sentences", "doc._.latin_names"], assigns=["doc._.entities"])
def make_entity_builder(nlp: Language, name: str) -> EntityBuilder:
    return EntityBuilder(name)


class EntityBuilder:
    """Groups the sentences' mentions into entities linked to the KB (``initialize(kb=...)``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kb: KnowledgeBase | None = None

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None, kb: KnowledgeBase
    ) -> None:
        self.kb = kb

    def __call__(self, doc: Doc) -> Doc:
        if self.kb is None:
            raise ValueError(Errors.E109.format(name=self.name))
        entities = build_entities([m for s in doc._.sentences for m in s.mentions], self.kb)
        add_latin_aliases(entities, doc._.latin_names)
        doc._.entities = entities
        return doc


@Language.factory(
    "cyberops_incidents",
    requires=["doc._.sentences", "doc._.entities", "doc._.claims"],
    assigns=["doc._.incidents", "doc._.claims"],
)
def make_incident_builder(nlp: Language, name: str) -> IncidentBuilder:
    return IncidentBuilder(name)


class IncidentBuilder:
    """The reported incident and the referenced ones; links the claims to the reported one. Needs
    the KB (malware kinds) and the incident-type lexicons (``initialize(kb=..., incident_types=...)``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.kb: KnowledgeBase | None = None
        self.incident_types: IncidentTypeScanner | None = None

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        kb: KnowledgeBase,
        incident_types: IncidentTypeScanner,
    ) -> None:
        self.kb = kb
        self.incident_types = incident_types

    def __call__(self, doc: Doc) -> Doc:
        if self.kb is None or self.incident_types is None:
            raise ValueError(Errors.E109.format(name=self.name))
        text = doc.text
        doc._.incidents = build_incidents(
            doc._.sentences,
            doc._.entities,
            doc._.claims,
            self.incident_types.scan(text, doc._.language),
            lambda found: document_types(found, len(text)),
            _type_hints(self.kb, doc._.kb_mentions),
        )
        return doc


def _type_hints(kb: KnowledgeBase, mentions: list[Mention]) -> dict[str, str]:
    hints = {}
    for mention in mentions:
        if mention.entry_id is None or mention.kind == "state":
            continue
        entry = kb.entry(mention.entry_id)
        if entry.malware_kind in TRUSTED_MALWARE_HINTS:
            hints[entry.name] = entry.malware_kind
    return hints
