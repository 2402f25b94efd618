"""Shared fixtures: one analyzer per test session (models and KB load once)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    return Path(os.environ.get("CYBEROPS_CORPUS") or REPO.parent / "shared" / "corpus")


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def analyzer(settings: Settings) -> Analyzer:
    return Analyzer(settings)


@pytest.fixture
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "dev").is_dir():
        pytest.skip("the shared corpus is not available")
    return path
