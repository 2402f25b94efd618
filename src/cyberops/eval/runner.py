"""Score an analyzer, or saved predictions, against gold files.

:func:`evaluate` runs the analyzer on the gold inputs; :func:`scores_from_records`
scores predictions that already exist. Both return an :class:`EvalReport`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from cyberops.eval import metrics as m
from cyberops.eval.gold import GoldDocument, load_gold
from cyberops.eval.results import METRICS, DocumentResult, EvalReport, Score
from cyberops.record import INCIDENT_TYPES, Record

Prediction = Record | dict[str, Any] | None
AnalyzeDocs = Callable[[list[dict[str, Any]]], Sequence[Prediction]]


def evaluate(
    gold_paths: Sequence[Path],
    analyze_docs: AnalyzeDocs,
    types: Collection[str] | None = None,
    skip: Collection[str] = frozenset(),
) -> EvalReport:
    """Load the gold files, run ``analyze_docs`` on their inputs, and score the records.

    ``analyze_docs`` gets the gold ``input`` dicts (never the expected fields)
    and returns one record per input, in order; ``None`` marks a document that
    failed and is scored as an empty, irrelevant record. ``types`` restricts
    incident types on both sides (e.g. CASIE's four); ``skip`` drops metrics
    by name (e.g. ``{"published"}`` on CASIE).
    """
    golds = load_gold(gold_paths)
    predictions = list(analyze_docs([dict(g.input) for g in golds]))
    return scores_from_records(golds, predictions, types=types, skip=skip)


def scores_from_records(
    golds: list[GoldDocument],
    predictions: Sequence[Prediction],
    types: Collection[str] | None = None,
    skip: Collection[str] = frozenset(),
) -> EvalReport:
    """Score predictions (``Record``, record dicts, or ``None``) given in the order of ``golds``."""
    metrics = _active_metrics(skip)
    restriction = _check_types(types)
    if len(predictions) != len(golds):
        raise ValueError(
            f"got {len(predictions)} predictions for {len(golds)} gold documents; "
            "return exactly one record (or None) per input, in input order"
        )
    documents = [
        score_document(gold, prediction, metrics, restriction)
        for gold, prediction in zip(golds, predictions, strict=True)
    ]
    return EvalReport(documents=documents, metrics=metrics, types=restriction, skipped=frozenset(skip))


def score_document(
    gold: GoldDocument,
    prediction: Prediction,
    metrics: Sequence[str] = METRICS,
    types: Collection[str] | None = None,
) -> DocumentResult:
    """Every metric of RECORD.md for one document; irrelevant gold documents count too."""
    predicted = _as_record_dict(prediction, gold)
    expected = gold.expected
    claims = m.align_claims(predicted["claims"], expected["claims"])
    actors = m.align_actors(predicted["entities"], expected["entities"])
    persons = m.align_persons(predicted["entities"], expected["entities"])
    every: dict[str, Callable[[], Score]] = {
        "claims": lambda: claims.counts,
        "attribution": lambda: m.set_counts(m.held_responsible_states(predicted), m.held_responsible_states(expected)),
        "denial": lambda: m.set_counts(m.denying_states(predicted), m.denying_states(expected)),
        "actors": lambda: actors.counts,
        "persons": lambda: persons.counts,
        "incident_types": lambda: m.set_counts(m.incident_types(predicted, types), m.incident_types(expected, types)),
        "victim_states": lambda: m.set_counts(m.victim_states(predicted), m.victim_states(expected)),
        "relevance": lambda: m.relevance_counts(bool(predicted["relevant"]), bool(expected["relevant"])),
        "published": lambda: m.published_counts(predicted.get("published"), expected.get("published")),
    }
    return DocumentResult(
        id=gold.id,
        language=gold.language,
        source_file=str(gold.source_file),
        counts={name: every[name]() for name in metrics},
        claims=claims if "claims" in metrics else None,
        actors=actors if "actors" in metrics else None,
        persons=persons if "persons" in metrics else None,
        gold_relevant=bool(expected["relevant"]),
        predicted_relevant=bool(predicted["relevant"]),
        gold_published=m.normalize_date(expected.get("published")),
        predicted_published=m.normalize_date(predicted.get("published")),
        failed=prediction is None,
    )


def _as_record_dict(prediction: Prediction, gold: GoldDocument) -> dict[str, Any]:
    """A prediction in the dict shape of RECORD.md; ``None`` becomes an empty irrelevant record."""
    if prediction is None:
        data: dict[str, Any] = {"id": gold.id, "relevant": False}
    elif isinstance(prediction, Record):
        data = prediction.to_dict()
    elif isinstance(prediction, dict):
        data = prediction
    else:
        raise TypeError(
            f"prediction for {gold.id!r} is a {type(prediction).__name__}; "
            "return a cyberops.record.Record, a record dict, or None"
        )
    predicted_id = data.get("id")
    if predicted_id is not None and str(predicted_id) != gold.id:
        raise ValueError(
            f"prediction {predicted_id!r} is in the place of gold document {gold.id!r} "
            f"({gold.source_file}:{gold.line}); return records in input order and keep the input id"
        )
    return {
        **data,
        "relevant": bool(data.get("relevant")),
        "entities": list(data.get("entities") or []),
        "incidents": list(data.get("incidents") or []),
        "claims": list(data.get("claims") or []),
    }


def _active_metrics(skip: Collection[str]) -> tuple[str, ...]:
    unknown = set(skip) - set(METRICS)
    if unknown:
        raise ValueError(f"cannot skip unknown metric(s) {sorted(unknown)}; choose among {', '.join(METRICS)}")
    return tuple(name for name in METRICS if name not in skip)


def _check_types(types: Collection[str] | None) -> frozenset[str] | None:
    if types is None:
        return None
    unknown = set(types) - set(INCIDENT_TYPES)
    if unknown:
        raise ValueError(
            f"unknown incident type(s) {sorted(unknown)} in the types restriction; "
            f"choose among {', '.join(INCIDENT_TYPES)}"
        )
    return frozenset(types)
