"""Clustering quality of the dossiers on the labeled dev set (tests/data/dossiers/dev-groups.json).

Floors sit a little below the figures measured by ``benchmarks/dossier_quality.py`` (see
docs/decisions/dossiers.md, "Measured"); a drop below them is a regression to look at.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _quality() -> ModuleType:
    name = "dossier_quality"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "dossier_quality.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


dq = _quality()


def test_labeled_groups_are_well_formed():
    data = json.loads(dq.GROUPS_FILE.read_text(encoding="utf-8"))
    groups = data["groups"]
    assert data["note"] and len(data["labels"]) == len(groups)
    assert all(len(group) >= 2 and len(set(group)) == len(group) for group in groups)
    assert len({tuple(sorted(group)) for group in groups}) == len(groups)


def test_extended_bcubed_and_pairwise_scores():
    truth = dq.complete({"a": {"x"}, "b": {"x"}, "c": {"y"}, "d": {"y"}}, "abcde")
    perfect = dq.score(truth, truth)
    assert (perfect.pair_f, perfect.b3_f) == (1.0, 1.0)

    merged = dq.score(truth, dq.complete({e: {"all"} for e in "abcd"}, "abcde"))
    assert merged.pair_r == 1.0 and merged.pair_p == pytest.approx(2 / 6)
    assert merged.b3_r == 1.0 and merged.b3_p == pytest.approx((4 * 0.5 + 1) / 5)

    apart = dq.score(truth, dq.complete({}, "abcde"))
    assert apart.pair_r == 0.0 and apart.b3_p == 1.0 and apart.b3_r == pytest.approx((4 * 0.5 + 1) / 5)

    # Overlap: "m" is in both groups; a clustering that puts it in one only loses recall, not precision.
    overlapping = dq.complete({"a": {"x"}, "m": {"x", "y"}, "c": {"y"}}, "amc")
    partial = dq.score(overlapping, dq.complete({"a": {"1"}, "m": {"1"}, "c": {"2"}}, "amc"))
    assert partial.pair_p == 1.0 and partial.b3_p == 1.0
    assert partial.pair_r == 0.5 and partial.b3_r < 1.0


def test_splits_cut_at_line_boundaries():
    text = "\n".join(f"Paragraph {n} " + "x" * 300 for n in range(8))
    parts = dq.split_text(text)
    assert len(parts) == 3
    assert [p for part in parts for p in part.split("\n\n")] == text.split("\n")
    assert max(map(len, parts)) < 2 * min(map(len, parts))
    assert len(dq.split_text("a" * 700 + "\n" + "b" * 700 + "\nc\nd")) == 2


@pytest.mark.corpus
def test_dossier_quality_on_gold_records(corpus):
    lines = dq.load_dev(corpus)
    groups = dq.load_groups()
    ids = {line["id"] for line in lines}
    assert len(lines) == 73 and {doc for group in groups for doc in group} <= ids

    dev, with_splits = dq.cases(lines)
    parts = [e for e in with_splits.elements if "/" in e]
    assert len(parts) >= 40, "long articles give synthetic parts"

    row = dq.evaluate(dq.gold_records_of(dev), dev, groups, "gold")
    assert row.scores.pair_p >= 0.95 and row.scores.b3_p >= 0.95, dq.errors(row)
    assert row.scores.pair_r >= 0.55 and row.scores.b3_f >= 0.93, dq.errors(row)

    row = dq.evaluate(dq.gold_records_of(with_splits), with_splits, groups, "gold")
    assert row.scores.pair_p >= 0.95 and row.scores.b3_p >= 0.95, dq.errors(row)
    assert row.scores.pair_r >= 0.55 and row.scores.b3_f >= 0.80, dq.errors(row)
    kept, total = row.splits
    assert kept / total >= 0.60, "parts of one article with the same facts land together"


@pytest.mark.corpus
def test_dossier_quality_on_analyzer_output(corpus, analyzer, settings):
    # About ten seconds: 73 articles and 80 parts through the analyzer.
    lines = dq.load_dev(corpus)
    groups = dq.load_groups()
    analyzed = dq.Analyzed(analyzer, settings)
    dev, with_splits = dq.cases(lines)

    row = dq.evaluate(analyzed.records(dev), dev, groups, "analyzer")
    assert row.scores.pair_p >= 0.95 and row.scores.b3_p >= 0.95, dq.errors(row)
    assert row.scores.pair_r >= 0.14 and row.scores.b3_f >= 0.87, dq.errors(row)

    row = dq.evaluate(analyzed.records(with_splits), with_splits, groups, "analyzer")
    assert row.scores.pair_p >= 0.85 and row.scores.b3_p >= 0.95, dq.errors(row)
    assert row.scores.b3_f >= 0.62, dq.errors(row)
    placed, parts = row.placed
    assert placed / parts >= 0.8, "most parts still report an incident"
