"""The use cases the CLI and the web app both call: ingest → analyze (→ store).

A problem with one document is reported as an ``InputError`` in the stream,
never raised: the batch goes on with the next document.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

from cyberops.errors import CyberopsError, InputError
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.nlp.analyzer import Analyzer
from cyberops.record import Record
from cyberops.settings import Settings


def analyze_inputs(
    inputs: Sequence[str],
    settings: Settings,
    analyzer: Analyzer | None = None,
    stdin: BinaryIO | None = None,
) -> Iterator[Record | InputError]:
    """Records for every document named by ``inputs`` (files, folders, JSONL, URLs, ``-``)."""
    analyzer = analyzer or Analyzer(settings)
    for item in iter_articles(list(inputs), settings, stdin=stdin):
        if isinstance(item, InputError):
            yield item
            continue
        try:
            yield analyzer.analyze(item)
        except CyberopsError as exc:
            yield InputError(item.id, str(exc))


def analyze_dicts(docs: Sequence[dict], settings: Settings, analyzer: Analyzer | None = None) -> list[Record | None]:
    """Records for input dicts shaped like JSONL lines ({id, text|html, url?, language?}); None where one fails."""
    analyzer = analyzer or Analyzer(settings)
    records: list[Record | None] = []
    for doc in docs:
        try:
            article = article_from_dict(doc, str(doc.get("id", "?")), settings)
            records.append(analyzer.analyze(article))
        except CyberopsError:
            records.append(None)
    return records
