"""``cyberops bench``: a thin shell over :func:`cyberops.benchmark.throughput.run_benchmarks`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cyberops.errors import InputError
from cyberops.settings import Settings


def bench(
    corpus: Annotated[
        Path | None,
        typer.Option(help="The shared corpus folder (default: $CYBEROPS_CORPUS, else ../shared/corpus)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Keep the first N documents of each file (HTML: of each page source).")
    ] = None,
    workers: Annotated[
        list[int] | None,
        typer.Option(min=1, help="Worker processes; repeat for several runs (default: 1 and the number of CPUs)."),
    ] = None,
    only: Annotated[
        str, typer.Option(help="Suites to run, comma-separated: news, relevant, html.")
    ] = "news,relevant,html",
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Measure documents per second and peak memory on news, relevant articles and HTML pages."""
    from cyberops.benchmark.report import render_bench
    from cyberops.benchmark.throughput import default_corpus, run_benchmarks

    errors = Console(stderr=True)
    try:
        report = run_benchmarks(
            corpus or default_corpus(),
            workers=workers,
            only=[name.strip() for name in only.split(",") if name.strip()],
            limit=limit,
            settings=Settings(),
            progress=lambda message: errors.print(message, style="dim", highlight=False),
        )
    except InputError as error:
        errors.print(f"error: {error}", markup=False, highlight=False)
        raise typer.Exit(code=2) from None
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        render_bench(report, Console())
