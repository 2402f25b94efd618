from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyberops.kb import KnowledgeBase, load_kb
from cyberops.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def kb_settings(settings: Settings) -> Settings:
    # The session's settings (tests/conftest.py): the KB is compiled once per test run.
    return settings


@pytest.fixture(scope="session")
def kb(kb_settings: Settings) -> KnowledgeBase:
    return load_kb(kb_settings)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = Path(os.environ.get("CYBEROPS_CORPUS") or REPO / ".." / "shared" / "corpus")
    if not path.is_dir():
        pytest.skip(f"corpus not found at {path} (set CYBEROPS_CORPUS)")
    return path
