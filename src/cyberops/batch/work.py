"""What a worker does with one document, the same in both engines.

Both engines call these functions, so they write the same rows for the same
input. The Ray engine splits the work in two stages: :func:`screen_document`
(the cheap pass: no spaCy model is loaded) settles every irrelevant article,
and only the relevant ones, with what their screen found, are handed to
:func:`parse_document` on the parsing actors. The local engine calls
:func:`analyze_document` on every document, which screens first inside
``Analyzer.analyze`` just the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

from cyberops.batch.schema import error_row, record_row
from cyberops.batch.shards import jsonl_document, parsed, prepare
from cyberops.errors import InputError
from cyberops.nlp.mentions import Mention
from cyberops.record import Article, Record
from cyberops.settings import Settings


class AnalyzerLike(Protocol):
    def screening(self, article: Article) -> tuple[Record, list[Mention]]: ...

    def parse(self, record: Record, kb_mentions: list[Mention]) -> Record: ...

    def analyze(self, article: Article) -> Record: ...


# Builds a worker's analyzer; injectable so that a test can make a worker fail on purpose.
AnalyzerFactory = Callable[[Settings], AnalyzerLike]


def default_analyzer(settings: Settings) -> AnalyzerLike:
    from cyberops.nlp.analyzer import Analyzer

    return Analyzer(settings)


def analyze_document(analyzer: AnalyzerLike, doc: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The record row of a document, or its error row: one bad document never stops a shard."""
    article = _article(doc, settings)
    if not isinstance(article, Article):
        return article
    return _analyzed(analyzer, article, doc)


class ToParse(NamedTuple):
    """A document the cheap pass found relevant: its screen's record and KB mentions, which
    :func:`parse_document` goes on from."""

    record: Record
    kb_mentions: list[Mention]


def screen_document(
    analyzer: AnalyzerLike, doc: dict[str, Any], settings: Settings
) -> tuple[dict[str, Any], None] | tuple[None, ToParse]:
    """``(row, None)`` when the cheap pass settles the document, ``(None, to_parse)`` when it must be parsed."""
    article = _article(doc, settings)
    if not isinstance(article, Article):
        return article, None
    try:
        record, kb_mentions = analyzer.screening(article)
    except Exception as error:  # the same message the full analysis would have given
        return _failure(article.id, doc["seq"], doc["source"], error), None
    if record.relevant:
        return None, ToParse(record, kb_mentions)
    return record_row(record, doc["seq"], doc["source"]), None


def parse_document(analyzer: AnalyzerLike, to_parse: ToParse, seq: int, source: str) -> dict[str, Any]:
    """The record row of a document :func:`screen_document` passed on: what ``analyze_document`` gives."""
    try:
        record = analyzer.parse(to_parse.record, to_parse.kb_mentions)
    except Exception as error:
        return _failure(to_parse.record.id, seq, source, error)
    return record_row(record, seq, source)


def _article(doc: dict[str, Any], settings: Settings) -> Article | dict[str, Any]:
    """The document's Article, or its error row where it has none (a bad line, no text)."""
    doc = parsed(doc, settings)
    try:
        return prepare(doc, settings)
    except InputError as error:
        return error_row(doc["seq"], doc["source"], error.message, doc.get("id"))


def _analyzed(analyzer: AnalyzerLike, article: Article, doc: dict[str, Any]) -> dict[str, Any]:
    try:
        record = analyzer.analyze(article)
    except Exception as error:  # a bug met on one document of millions: record it, go on
        return _failure(article.id, doc["seq"], doc["source"], error)
    return record_row(record, doc["seq"], doc["source"])


def _failure(doc_id: str | None, seq: int, source: str, error: Exception) -> dict[str, Any]:
    return error_row(seq, source, f"analysis failed ({type(error).__name__}: {error})", doc_id)


def line_document(path: str, seq: int, number: int, line: bytes, settings: Settings) -> dict[str, Any]:
    """The document of one raw JSONL line, as :func:`~cyberops.batch.shards.iter_documents` would make it."""
    return jsonl_document(seq, f"{path}:{number}", line, settings)
