"""Evaluation floors on our own multilingual examples (tests/data/multilingual, see its README).

The floors sit a little under the figures reached when they were set; raise them when the rules improve.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cyberops.eval import evaluate
from cyberops.pipeline import analyze_dicts

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "multilingual"
SCORED = ("claims", "attribution", "denial", "relevance")


@pytest.fixture(scope="module")
def report(analyzer, settings):
    paths = sorted(EXAMPLES.glob("*.jsonl"))
    return evaluate(paths, lambda docs: analyze_dicts(docs, settings, analyzer), skip={"published"}).to_dict()


def test_every_example_language_is_present(report):
    assert set(report["by_language"]) == {"ar", "de", "fa", "ja", "ko", "uk"}
    assert report["failed_documents"] in (0, [])


def test_overall_floors(report):
    floors = {"claims": 0.72, "attribution": 0.70, "denial": 0.95, "relevance": 0.95}
    for metric, floor in floors.items():
        assert report["overall"][metric]["f1"] >= floor, (metric, report["overall"][metric]["f1"])


@pytest.mark.parametrize(
    ("language", "floor"),
    [("ar", 0.8), ("de", 0.35), ("fa", 0.75), ("ja", 0.6), ("ko", 0.95), ("uk", 0.95)],
)
def test_claims_floor_per_language(report, language, floor):
    assert report["by_language"][language]["claims"]["f1"] >= floor


@pytest.mark.parametrize("language", ["ar", "de", "fa", "ja", "ko", "uk"])
def test_every_language_finds_its_denial(report, language):
    assert report["by_language"][language]["denial"]["f1"] == 1.0
