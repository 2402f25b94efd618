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
def settings(tmp_path_factory: pytest.TempPathFactory, private_data_dir: None) -> Settings:
    return Settings(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory):
    """Tests (and the CLI subprocesses they start) never read or write the user's own data directory:
    an imported KB overlay or a database there would change what the tests see."""
    patch = pytest.MonkeyPatch()
    patch.setenv("CYBEROPS_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    patch.delenv("CYBEROPS_KB_OVERLAY", raising=False)
    patch.delenv("CYBEROPS_DB", raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def analyzer(settings: Settings) -> Analyzer:
    return Analyzer(settings)


@pytest.fixture
def corpus() -> Path:
    path = corpus_dir()
    if not (path / "dev").is_dir():
        pytest.skip("the shared corpus is not available")
    return path
