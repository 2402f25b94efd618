"""Checks over the shared dev corpus; skipped when it is absent."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cyberops.ingest.sources import article_from_dict
from cyberops.settings import Settings

pytestmark = pytest.mark.corpus


def _dev_dir() -> Path:
    repo = Path(__file__).resolve().parents[2]
    dev = Path(os.environ.get("CYBEROPS_CORPUS") or repo / "../shared/corpus") / "dev"
    if not dev.is_dir():
        pytest.skip("shared corpus not available (set CYBEROPS_CORPUS)")
    return dev


def test_every_gold_document_becomes_an_article_that_keeps_most_of_its_text() -> None:
    for path in sorted(_dev_dir().glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            data = json.loads(line)
            article = article_from_dict(data, f"{path.name}:{number}", Settings())
            assert article.id == data["id"]
            assert article.raw_text == data["text"]
            # Furniture is a minority of a news page: losing half of its distinct lines means losing body.
            distinct = {line.strip() for line in data["text"].splitlines() if line.strip()}
            assert len(article.text) > 0.5 * sum(map(len, distinct)), article.id
