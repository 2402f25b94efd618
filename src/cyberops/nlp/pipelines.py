"""The spaCy pipelines, loaded once per process and language.

Each sentence worth reading closely goes through the whole model (parser
and NER); the other sentences of a relevant article that could name someone go
through NER only, which in these pipelines has its own token-to-vector layer
and so runs without the tagger and parser; an article's sentences share one
NER batch (``Pipelines.read``). Which model serves which language is data
(``models.json``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from cyberops.nlp.model_table import ModelTable

# No step of ours reads lemmas, and the lemmatizer took a sixth of the analyzer's time on
# relevant news (measured, same records without it). Add it back here if a rule needs token.lemma_.
_UNUSED_COMPONENTS = ("lemmatizer",)


class Pipelines:
    """Lazily loaded spaCy pipelines by language code."""

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._loaded: dict[str, Language | None] = {}

    @cached_property
    def table(self) -> ModelTable:
        return ModelTable.load()

    def has_model(self, lang: str | None) -> bool:
        return bool(lang) and lang in self.table.models

    def get(self, lang: str) -> Language | None:
        if lang not in self._loaded:
            name = self.table.models.get(lang)
            self._loaded[lang] = spacy.load(name, exclude=_UNUSED_COMPONENTS) if name else None
        return self._loaded[lang]

    def parse(self, lang: str, texts: Iterable[str]) -> Iterator[Doc]:
        """Full pipeline: tags, dependency parse, entities."""
        nlp = self.get(lang)
        assert nlp is not None
        yield from nlp.pipe(texts, batch_size=self.batch_size)

    def read(
        self, lang: str, to_parse: Sequence[str], to_tag: Sequence[str], parse_ner: Sequence[bool] | None = None
    ) -> tuple[list[Doc], list[Doc]]:
        """One article's sentences: ``to_parse`` through the whole pipeline, ``to_tag`` through NER only.

        The NER runs last and reads none of the other components' output (it has its own
        token-to-vector layer), so the parsed sentences go through everything but the NER and then
        all sentences meet in one NER batch: the same entities as two separate calls, with larger
        matrix products and one pass of the NER's per-call overhead instead of two. ``parse_ner``
        (one flag per parsed sentence) leaves the NER out where the caller knows no name can be found;
        those docs come back with no entities.
        """
        nlp = self.get(lang)
        assert nlp is not None
        if nlp.pipe_names[-1:] != ["ner"]:
            # A pipeline where something reads the entities after the NER: keep the two calls.
            return list(self.parse(lang, to_parse)), list(self.entities(lang, to_tag))
        with nlp.select_pipes(disable=["ner"]):
            parsed = list(nlp.pipe(to_parse, batch_size=self.batch_size))
        flags = parse_ner if parse_ner is not None else [True] * len(parsed)
        chosen = [index for index, wanted in enumerate(flags) if wanted]
        batch = [parsed[index] for index in chosen] + [nlp.make_doc(text) for text in to_tag]
        with nlp.select_pipes(enable=["ner"]):
            docs = list(nlp.pipe(batch, batch_size=max(self.batch_size, len(batch))))
        for index, doc in zip(chosen, docs, strict=False):
            parsed[index] = doc
        return parsed, docs[len(chosen) :]

    def entities(self, lang: str, texts: Iterable[str]) -> Iterator[Doc]:
        """NER only: the cheap way to find people in sentences we do not parse."""
        nlp = self.get(lang)
        assert nlp is not None
        others = [name for name in nlp.pipe_names if name != "ner"]
        with nlp.select_pipes(disable=others):
            yield from nlp.pipe(texts, batch_size=self.batch_size)
