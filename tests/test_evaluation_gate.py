"""Evaluation floors on the shared dev corpus: quality cannot drop silently.

The floors sit a little under the figures reached when they were set (see the
closing notes); raise them when the engine improves.
"""

from __future__ import annotations

from cyberops.eval import evaluate
from cyberops.pipeline import analyze_dicts


def test_seed_article_is_fully_right(analyzer, settings, corpus):
    report = evaluate([corpus / "dev" / "seed.jsonl"], lambda docs: analyze_dicts(docs, settings, analyzer))
    overall = report.to_dict()["overall"]
    for metric in ("claims", "attribution", "denial", "actors", "persons"):
        assert overall[metric]["f1"] == 1.0, metric
    [document] = report.to_dict()["documents"]
    assert document["predicted_published"] is None if "predicted_published" in document else True


def test_english_and_french_dev_floors(analyzer, settings, corpus):
    paths = [corpus / "dev" / name for name in ("en.jsonl", "fr.jsonl", "seed.jsonl")]
    overall = evaluate(paths, lambda docs: analyze_dicts(docs, settings, analyzer)).to_dict()["overall"]
    floors = {"claims": 0.75, "attribution": 0.84, "denial": 0.90, "actors": 0.80, "persons": 0.92, "relevance": 0.95}
    for metric, floor in floors.items():
        assert overall[metric]["f1"] >= floor, (metric, overall[metric]["f1"])


def test_every_dev_language_goes_through_without_errors(analyzer, settings, corpus):
    paths = sorted((corpus / "dev").glob("*.jsonl"))
    report = evaluate(paths, lambda docs: analyze_dicts(docs, settings, analyzer)).to_dict()
    assert report["failed_documents"] in (0, [])


def test_casie_dev_incident_types_through_the_analyzer(analyzer, settings, corpus):
    """The issue's figure, as `cyberops eval --types ... --skip published` computes it."""
    path = corpus / "casie" / "dev.jsonl"
    scope = ("data_breach", "phishing", "ransomware", "vulnerability")
    report = evaluate([path], lambda docs: analyze_dicts(docs, settings, analyzer), types=scope, skip={"published"})
    f1 = report.to_dict()["overall"]["incident_types"]["f1"]
    # Measured 0.906 with the thresholds refitted on CASIE train (docs/decisions/incident-typing.md).
    assert f1 >= 0.90, f1
