"""Fixtures for the batch tests: input shards of our own articles and what they must become."""

from __future__ import annotations

from pathlib import Path

import pytest
from batch_helpers import INDICTMENT, RANSOMWARE, docs_en, docs_fr, write_jsonl, write_warc

from cyberops.nlp.analyzer import Analyzer


@pytest.fixture(scope="session")
def loaded(analyzer: Analyzer) -> Analyzer:
    # Compiles the KB into the session's cache before any worker process needs it.
    analyzer.kb  # noqa: B018
    return analyzer


@pytest.fixture
def shards(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    return [
        write_jsonl(folder / "en.jsonl", docs_en(), extra_lines=("not json", '{"id": "no-text"}')),
        write_jsonl(folder / "fr.jsonl.gz", docs_fr()),
        write_warc(
            folder / "pages.warc.gz",
            [("https://news.example/a", INDICTMENT), ("https://news.example/b", RANSOMWARE)],
        ),
    ]
