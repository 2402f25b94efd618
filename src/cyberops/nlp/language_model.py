"""The ``cyberops_language_model`` component: the language's spaCy model over the sentences worth it.

It reads ``doc._.sentences`` and adds to them: the sentences holding claim cues get a dependency
parse (``SentenceView.doc``) for the claim rules; those and the other sentences that could name
someone go through one NER batch, whose persons and organizations join the sentences' mentions.
Languages without a model (``models.json``) pass through unchanged. Which sentences are read,
and why, is docs/decisions/sentence-selection.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from spacy.errors import Errors
from spacy.language import Language
from spacy.tokens import Doc

from cyberops.nlp.claim_cues import PARSE_GROUPS
from cyberops.nlp.entities import organization_mentions, person_mentions
from cyberops.nlp.mentions import Mention, SentenceView
from cyberops.nlp.model_table import ModelTable
from cyberops.nlp.pipelines import Pipelines

# Words, for the casing test below: a name is a word with a capital letter in it.
_WORD = re.compile(r"\w+")


@Language.factory("cyberops_language_model", requires=["doc._.sentences"], assigns=["doc._.sentences"])
def make_model_reader(nlp: Language, name: str) -> ModelReader:
    return ModelReader(name)


class ModelReader:
    """Parses the claim sentences and runs the NER where a name is written; needs its models
    (``initialize(models=...)``), loaded once per process and shared with the analyzer."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.models: Pipelines | None = None

    def initialize(
        self, get_examples: Callable[[], Iterable[Any]] | None = None, *, nlp: Language | None = None, models: Pipelines
    ) -> None:
        self.models = models

    def __call__(self, doc: Doc) -> Doc:
        if self.models is None:
            raise ValueError(Errors.E109.format(name=self.name))
        lang = doc._.language
        if self.models.has_model(lang):
            self._read(self.models, lang, doc._.sentences)
        return doc

    def _read(self, models: Pipelines, lang: str, sentences: list[SentenceView]) -> None:
        to_parse = [s for s in sentences if any(g in s.cues for g in PARSE_GROUPS)]
        names = _capitalized_inside(sentences)
        to_tag = [s for s in sentences if not any(g in s.cues for g in PARSE_GROUPS) and _may_name(s.text, names)]
        parsed, tagged = models.read(
            lang, [s.text for s in to_parse], [s.text for s in to_tag], [_may_name(s.text, names) for s in to_parse]
        )
        for sentence, doc in zip(to_parse, parsed, strict=True):
            sentence.doc = doc
            _add_ner(sentence, doc, models.table)
        for sentence, doc in zip(to_tag, tagged, strict=True):
            sentence.doc = None
            _add_ner(sentence, doc, models.table)
        _share_person_states(sentences)


def _add_ner(sentence: SentenceView, doc: Doc, table: ModelTable) -> None:
    offset = sentence.span.start
    ents = [(offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents]
    sentence.mentions.extend(person_mentions(sentence, ents, table.person_labels))
    sentence.mentions.extend(organization_mentions(sentence, ents, table.organization_labels))
    sentence.mentions.sort(key=lambda m: m.start)


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
