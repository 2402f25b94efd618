"""The ``cyberops`` command line: thin shells over library functions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cyberops import __version__
from cyberops.errors import InputError
from cyberops.settings import Settings

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Turn news about cyber operations into evidence-backed records."
)
kb_app = typer.Typer(no_args_is_help=True, help="The knowledge base of actors, malware, operations and states.")
app.add_typer(kb_app, name="kb")


def _version(value: bool) -> None:
    if value:
        print(f"cyberops {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


@app.command()
def analyze(
    inputs: Annotated[list[str], typer.Argument(help="Files (.html .htm .txt .jsonl), folders, URLs, or - for stdin.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON Lines here instead of stdout.")
    ] = None,
    pretty: Annotated[
        bool, typer.Option("--pretty", help="Show claims and incidents with their evidence sentences.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Allow URLs that resolve to private, loopback or link-local addresses."),
    ] = False,
    max_bytes: Annotated[int | None, typer.Option(help="Refuse documents larger than this many bytes.")] = None,
) -> None:
    """Analyze articles into extraction records (JSON Lines, one per document)."""
    from cyberops.cli.pretty import render_record
    from cyberops.pipeline import analyze_inputs

    settings = Settings().with_overrides(allow_private=allow_private or None, max_bytes=max_bytes)
    console = Console()
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    done = failed = 0
    try:
        for item in analyze_inputs(inputs, settings, stdin=sys.stdin.buffer):
            if isinstance(item, InputError):
                failed += 1
                # One plain line per failed document, never wrapped: scripts grep these.
                typer.echo(f"error: {item}", err=True)
                continue
            done += 1
            if pretty:
                render_record(item, console)
            else:
                sink.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
    finally:
        if output:
            sink.close()
    if failed and not done:
        raise typer.Exit(code=1)


@app.command("eval")
def evaluate_command(
    gold: Annotated[list[Path], typer.Argument(help="Gold JSONL files (RECORD.md format).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    types: Annotated[
        str | None, typer.Option(help="Score incident types restricted to these (comma-separated).")
    ] = None,
    skip: Annotated[str | None, typer.Option(help="Metrics to leave out (comma-separated), e.g. published.")] = None,
    errors: Annotated[int, typer.Option(help="List up to this many per-document errors (0: none).")] = 0,
    by_language: Annotated[bool, typer.Option("--by-language/--overall", help="Add one column per language.")] = True,
    predictions: Annotated[Path | None, typer.Option(help="Score these saved records instead of analyzing.")] = None,
) -> None:
    """Score the analyzer against gold records, overall and per language."""
    from cyberops.eval import evaluate, load_gold, render_errors, render_table, scores_from_records
    from cyberops.pipeline import analyze_dicts

    settings = Settings()
    type_set = {t.strip() for t in types.split(",")} if types else None
    skip_set = frozenset(s.strip() for s in skip.split(",")) if skip else frozenset()
    if predictions is not None:
        golds = load_gold(gold)
        by_id = {}
        for line in predictions.read_text("utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                by_id[record["id"]] = record
        report = scores_from_records(golds, [by_id.get(g.id) for g in golds], types=type_set, skip=skip_set)
    else:
        report = evaluate(gold, lambda docs: analyze_dicts(docs, settings), types=type_set, skip=skip_set)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
        return
    console = Console(width=max(100, Console().width))
    render_table(report, console, by_language=by_language)
    if errors:
        render_errors(report, console, limit=errors)


def _register_bench() -> None:
    from cyberops.cli.bench import bench

    app.command(help="Documents per second and peak memory on the shared corpus (news, relevant, html).")(bench)


_register_bench()


# Each command module adds its commands to the app; imported here so `cyberops --help` lists them all.
_COMMAND_MODULES = ("export_commands", "store_commands", "batch_commands", "web_commands")


def _register_command_modules() -> None:
    from importlib import import_module

    for name in _COMMAND_MODULES:
        import_module(f"cyberops.cli.{name}").register(app)


_register_command_modules()


@kb_app.command("build")
def kb_build() -> None:
    """Compile the knowledge base into its cached artifact (done on first use otherwise)."""
    from cyberops.kb.build import build_kb

    path = build_kb(Settings())
    print(path)


def main() -> None:
    app()
