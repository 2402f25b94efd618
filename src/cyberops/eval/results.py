"""What scoring produces: per-document results and the report that sums them.

Per-document results keep the counts of every metric, so overall and
per-language figures are both plain sums over a subset of documents and can
never disagree with each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cyberops.eval.metrics import Alignment, Counts, PublishedCounts, claim_counts_by_kind
from cyberops.record import CLAIM_KINDS

# Metric names in report order; ``skip`` takes any of them.
METRICS: tuple[str, ...] = (
    "claims",
    "attribution",
    "denial",
    "actors",
    "persons",
    "incident_types",
    "victim_states",
    "relevance",
    "published",
)

Score = Counts | PublishedCounts


@dataclass(frozen=True)
class DocumentResult:
    """Scores and the facts behind them for one gold document."""

    id: str
    language: str
    source_file: str
    counts: dict[str, Score]
    claims: Alignment | None = None
    actors: Alignment | None = None
    persons: Alignment | None = None
    gold_relevant: bool = False
    predicted_relevant: bool = False
    gold_published: str | None = None
    predicted_published: str | None = None
    # True when the analyzer returned nothing for this document (scored as an empty irrelevant record).
    failed: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "language": self.language,
            "source_file": self.source_file,
            "failed": self.failed,
            "relevant": {"gold": self.gold_relevant, "predicted": self.predicted_relevant},
            "published": {"gold": self.gold_published, "predicted": self.predicted_published},
            "counts": {name: score.to_dict() for name, score in self.counts.items()},
        }
        if self.claims is not None:
            data["claims"] = _alignment_dict(self.claims, claim_summary)
        for name, alignment in (("actors", self.actors), ("persons", self.persons)):
            if alignment is not None:
                data[name] = _alignment_dict(alignment, entity_summary)
        return data


@dataclass(frozen=True)
class EvalReport:
    """Scores over a gold set: overall, per language, per claim kind, per document."""

    documents: list[DocumentResult]
    metrics: tuple[str, ...] = METRICS
    types: frozenset[str] | None = None
    skipped: frozenset[str] = field(default_factory=frozenset)

    @property
    def overall(self) -> dict[str, Score]:
        return _sum_scores(self.documents, self.metrics)

    @property
    def by_language(self) -> dict[str, dict[str, Score]]:
        languages = sorted({d.language for d in self.documents})
        return {
            language: _sum_scores([d for d in self.documents if d.language == language], self.metrics)
            for language in languages
        }

    @property
    def claims_by_kind(self) -> dict[str, Counts]:
        """Claim counts per kind, in the order of RECORD.md; empty when claims are skipped."""
        totals: dict[str, Counts] = {}
        for document in self.documents:
            if document.claims is None:
                continue
            for kind, counts in claim_counts_by_kind(document.claims).items():
                totals[kind] = totals.get(kind, Counts()) + counts
        order = {kind: i for i, kind in enumerate(CLAIM_KINDS)}
        return dict(sorted(totals.items(), key=lambda item: (order.get(item[0], len(order)), item[0])))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (for ``--json``)."""
        return {
            "documents_scored": len(self.documents),
            "failed_documents": sum(d.failed for d in self.documents),
            "metrics": list(self.metrics),
            "skipped": sorted(self.skipped),
            "types": sorted(self.types) if self.types is not None else None,
            "overall": _scores_dict(self.overall),
            "claims_by_kind": {kind: counts.to_dict() for kind, counts in self.claims_by_kind.items()},
            "by_language": {lang: _scores_dict(scores) for lang, scores in self.by_language.items()},
            "documents": [d.to_dict() for d in self.documents],
        }


def claim_summary(claim: dict[str, Any]) -> dict[str, Any]:
    """The fields of a claim that scoring looks at, plus the speaker's name for a reader."""
    speaker = claim.get("speaker")
    if isinstance(speaker, dict):
        speaker = speaker.get("name")
    return {
        "kind": claim.get("kind"),
        "speaker": speaker,
        "speaker_state": claim.get("speaker_state"),
        "subject_state": claim.get("subject_state"),
    }


def entity_summary(entity: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": entity.get("name"),
        "type": entity.get("type"),
        "aliases": list(entity.get("aliases") or []),
    }


def _alignment_dict(alignment: Alignment, summary: Any) -> dict[str, Any]:
    return {
        "matched": [{"gold": summary(g), "predicted": summary(p)} for g, p in alignment.matched],
        "missed": [summary(g) for g in alignment.missed],
        "spurious": [summary(p) for p in alignment.spurious],
    }


def _sum_scores(documents: Iterable[DocumentResult], metrics: tuple[str, ...]) -> dict[str, Score]:
    totals: dict[str, Score] = {name: PublishedCounts() if name == "published" else Counts() for name in metrics}
    for document in documents:
        for name in metrics:
            totals[name] = _add(totals[name], document.counts[name])
    return totals


def _add(total: Score, more: Score) -> Score:
    # Each metric keeps one kind of score; the isinstance checks tell the checker which __add__ applies.
    if isinstance(total, PublishedCounts) and isinstance(more, PublishedCounts):
        return total + more
    if isinstance(total, Counts) and isinstance(more, Counts):
        return total + more
    raise TypeError(f"cannot add {type(more).__name__} to {type(total).__name__}")


def _scores_dict(scores: dict[str, Score]) -> dict[str, dict[str, Any]]:
    return {name: score.to_dict() for name, score in scores.items()}
