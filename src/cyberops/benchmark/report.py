"""The speed benchmark for people: one Rich table per suite and the targets with a verdict."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def render_bench(report: dict[str, Any], console: Console) -> None:
    """Print the tables of a ``run_benchmarks`` report."""
    suites = report["suites"]
    console.print(f"corpus {report['corpus']} · {report['cpu_count']} CPUs · limit {report['limit'] or 'none'}")
    for name in ("news", "relevant"):
        if name in suites:
            console.print(_documents_table(name, suites[name]))
    if "html" in suites:
        console.print(_html_speed_table(suites["html"]))
        console.print(_html_quality_table(suites["html"]))
    if report["targets"]:
        console.print(_targets_table(report["targets"]))
    failed = [r for s in suites.values() for r in s.get("runs", []) if r.get("failed")]
    for run in failed:
        console.print(
            f"[red]{run['failed']} document(s) crashed the {run['engine']} engine; first: {run['first_failure']}"
        )


def _documents_table(name: str, suite: dict[str, Any]) -> Table:
    languages = ", ".join(f"{lang} {n}" for lang, n in suite["languages"].items())
    table = Table(
        title=f"{name}: {suite['documents']:,} documents, {suite['characters']:,} characters ({languages})",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    headers = ("engine", "workers", "docs/s", "docs/s/worker", "docs/CPU-s", "seconds", "load s", "peak MB/worker")
    for header in (*headers, "relevant"):
        table.add_column(header, justify="left" if header == "engine" else "right")
    for run in suite["runs"]:
        table.add_row(
            "cyberops analyzer" if run["engine"] == "cyberops" else "bare spaCy",
            str(run["workers"]),
            _number(run["docs_per_second"]),
            _number(run["docs_per_second_per_worker"]),
            _number(run.get("docs_per_cpu_second")),
            f"{run['seconds']:.2f}",
            f"{run['load_seconds']:.1f}",
            f"{run['peak_rss_mb']:.0f}",
            "" if run["relevant"] is None else f"{run['relevant']:,}",
        )
    return table


def _html_speed_table(suite: dict[str, Any]) -> Table:
    pages = ", ".join(f"{scoring} {n}" for scoring, n in suite["pages"].items())
    table = Table(title=f"html speed: {pages} pages", box=box.SIMPLE_HEAD, title_justify="left")
    for header in ("workers", "ours pages/s", "trafilatura pages/s", "ours/trafilatura", "peak MB/worker"):
        table.add_column(header, justify="right")
    for run in suite["runs"]:
        table.add_row(
            str(run["workers"]),
            _number(run["cyberops.extract_html"]["pages_per_second"]),
            _number(run["trafilatura.extract"]["pages_per_second"]),
            f"{run['speed_ratio']:.2f}" if run["speed_ratio"] is not None else "–",
            f"{run['peak_rss_mb']:.0f}",
        )
    return table


def _html_quality_table(suite: dict[str, Any]) -> Table:
    table = Table(title="html extraction quality", box=box.SIMPLE_HEAD, title_justify="left")
    for header in ("extractor", "output", "scoring", "P", "R", "F1"):
        table.add_column(header, justify="left" if header in ("extractor", "output", "scoring") else "right")
    for extractor, outputs in suite["quality"].items():
        for output, scorings in outputs.items():
            for scoring, scores in scorings.items():
                table.add_row(
                    extractor,
                    output,
                    scoring,
                    f"{scores['precision']:.3f}",
                    f"{scores['recall']:.3f}",
                    f"{scores['f1']:.3f}",
                )
    return table


def _targets_table(targets: list[dict[str, Any]]) -> Table:
    table = Table(title="targets", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("target")
    table.add_column("value", justify="right")
    table.add_column("met", justify="center")
    for target in targets:
        table.add_row(target["name"], f"{target['value']:,.2f}", "[green]yes" if target["met"] else "[red]no")
    return table


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"
