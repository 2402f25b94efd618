"""An :class:`EvalReport` for people: a score table and a list of what went wrong."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from cyberops.eval.metrics import PublishedCounts
from cyberops.eval.results import DocumentResult, EvalReport, Score, claim_summary

LABELS: dict[str, str] = {
    "claims": "claims",
    "attribution": "attribution",
    "denial": "denial",
    "actors": "actors",
    "persons": "persons",
    "incident_types": "incident types",
    "victim_states": "victim states",
    "relevance": "relevance",
    "published": "published",
}


def render_table(report: EvalReport, console: Console, by_language: bool = True) -> None:
    """Metrics as rows; P, R, F1 and gold count n overall, then F1 per language.

    For ``published`` the P column shows accuracy and R/F1 stay empty.
    """
    languages = report.by_language if by_language else {}
    # Collapsed padding and no vertical rules keep ten languages within 100 columns.
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True, pad_edge=False)
    table.add_column("metric", no_wrap=True)
    for header in ("P", "R", "F1", "n"):
        table.add_column(header, justify="right", no_wrap=True)
    for language in languages:
        table.add_column(language, justify="right", no_wrap=True)

    overall = report.overall
    for name in report.metrics:
        cells = [LABELS.get(name, name), *_overall_cells(overall[name])]
        cells += [_fmt(_headline(scores[name])) for scores in languages.values()]
        table.add_row(*cells)
        if name == "claims":
            for kind, counts in report.claims_by_kind.items():
                row = [f"  {kind}", *_overall_cells(counts)] + [""] * len(languages)
                table.add_row(*row, style="dim")

    failed = sum(d.failed for d in report.documents)
    # Printed below rather than as a caption, which would wrap to the width of a narrow table.
    summary = (
        f"{len(report.documents)} documents"
        + (f", {failed} failed" if failed else "")
        + "; n = gold items; per-language columns: F1 (accuracy for published)"
        + (f"; types: {', '.join(sorted(report.types))}" if report.types is not None else "")
    )
    console.print(table)
    console.print(summary)
    dates = overall.get("published")
    if isinstance(dates, PublishedCounts):
        console.print(
            f"published: {dates.correct} right, {dates.wrong} wrong, {dates.missing} missing, "
            f"{dates.spurious} given where the gold has none"
        )


def render_errors(report: EvalReport, console: Console, limit: int = 50) -> None:
    """Per document, the missed and spurious claims and actors, and wrong relevance or dates.

    At most ``limit`` error lines are printed; the rest are counted.
    """
    printed = hidden = 0
    for document in report.documents:
        lines = _error_lines(document, report.metrics)
        if not lines:
            continue
        room = limit - printed
        if room <= 0:
            hidden += len(lines)
            continue
        if not printed:
            console.print("errors per document (? = null; a null in the gold accepts any state)")
        failed = " [red]analyzer failed[/red]" if document.failed else ""
        console.print(f"[bold]{document.id}[/bold] ({document.language}){failed}")
        shown = lines[:room]
        for line in shown:
            console.print(f"  {line}", markup=False, highlight=False)
        printed += len(shown)
        hidden += len(lines) - len(shown)
    if hidden:
        console.print(f"... {hidden} more error lines not shown (raise the limit to see them)")
    if not printed:
        console.print("no errors")


def _error_lines(document: DocumentResult, metrics: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    if "relevance" in metrics and document.gold_relevant != document.predicted_relevant:
        lines.append(f"relevance      gold {document.gold_relevant}, predicted {document.predicted_relevant}")
    # Differing dates mean at least one side has one: wrong, missing, or given where gold has none.
    if "published" in metrics and document.predicted_published != document.gold_published:
        lines.append(f"published      gold {document.gold_published}, predicted {document.predicted_published}")
    if document.claims is not None:
        lines += [f"missed claim   {_claim(c)}" for c in document.claims.missed]
        lines += [f"spurious claim {_claim(c)}" for c in document.claims.spurious]
    if document.actors is not None:
        lines += [f"missed actor   {e.get('name')}" for e in document.actors.missed]
        lines += [f"spurious actor {e.get('name')}" for e in document.actors.spurious]
    return lines


def _claim(claim: dict[str, Any]) -> str:
    summary = claim_summary(claim)
    speaker = f"  ({summary['speaker']})" if summary["speaker"] else ""
    return f"{summary['kind']} {summary['speaker_state'] or '?'}->{summary['subject_state'] or '?'}{speaker}"


def _overall_cells(score: Score) -> list[str]:
    if isinstance(score, PublishedCounts):
        return [_fmt(score.accuracy), "", "", str(score.dated)]
    return [_fmt(score.precision), _fmt(score.recall), _fmt(score.f1), str(score.gold)]


def _headline(score: Score) -> float | None:
    return score.accuracy if isinstance(score, PublishedCounts) else score.f1


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
