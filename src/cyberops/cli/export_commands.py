"""``cyberops export ...`` and ``cyberops import stix``: thin shells over :mod:`cyberops.export`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from cyberops.errors import CyberopsError
from cyberops.export import ExportOptions, read_records, write_misp, write_stix, write_table
from cyberops.record import Record
from cyberops.settings import Settings

export_app = typer.Typer(no_args_is_help=True, help="Export records as STIX 2.1, MISP, CSV or Parquet.")
import_app = typer.Typer(no_args_is_help=True, help="Import what other tools know into the knowledge base.")

T = TypeVar("T")

RecordsArg = Annotated[str, typer.Argument(help="Records as JSON Lines (the output of cyberops analyze), - for stdin.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")]
TlpOpt = Annotated[str, typer.Option("--tlp", help="TLP level: clear, green, amber, amber+strict, red.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Export all records as one dossier with this title.")]
IrrelevantOpt = Annotated[
    bool, typer.Option("--include-irrelevant", help="Also export records judged not about cyber operations.")
]
TableArg = Annotated[str, typer.Argument(help="Which table: claims, incidents or entities.")]


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except CyberopsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=1) from None


def _options(tlp: str, include_irrelevant: bool) -> ExportOptions:
    return ExportOptions(tlp=tlp, include_irrelevant=include_irrelevant)


def _records(path: str) -> list[Record]:
    return list(read_records(path, stdin=sys.stdin))


@export_app.command("stix")
def export_stix(
    records: RecordsArg,
    output: OutputOpt = None,
    tlp: TlpOpt = "clear",
    title: TitleOpt = None,
    include_irrelevant: IrrelevantOpt = False,
) -> None:
    """A STIX 2.1 bundle: a report per article, with actors, states, incidents and claims."""
    count = _run(lambda: write_stix(_records(records), output, _options(tlp, include_irrelevant), title))
    typer.echo(f"{count} STIX objects", err=True)


@export_app.command("misp")
def export_misp(
    records: RecordsArg,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="A MISP feed folder (an event per article), or a file with --title."),
    ] = None,
    tlp: TlpOpt = "clear",
    title: TitleOpt = None,
    include_irrelevant: IrrelevantOpt = False,
) -> None:
    """MISP events with galaxy tags, link and evidence attributes: one per article, or one per dossier."""
    count = _run(lambda: write_misp(_records(records), output, _options(tlp, include_irrelevant), title))
    typer.echo(f"{count} MISP events", err=True)


def _table(name: str, records: str, output: Path | None, fmt: str, include_irrelevant: bool) -> None:
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        typer.echo("error: Parquet is binary; give -o FILE", err=True)
        raise typer.Exit(code=1)
    count = _run(lambda: write_table(name, _records(records), output, fmt, _options("clear", include_irrelevant)))
    typer.echo(f"{count} rows", err=True)


FormatOpt = Annotated[str, typer.Option("--format", help="csv or parquet.")]


@export_app.command("csv")
def export_csv(
    table: TableArg,
    records: RecordsArg,
    output: OutputOpt = None,
    fmt: FormatOpt = "csv",
    include_irrelevant: IrrelevantOpt = False,
) -> None:
    """A flat table of claims, incidents or entities as CSV (columns in docs/export-mapping.md)."""
    _table(table, records, output, fmt, include_irrelevant)


@export_app.command("parquet")
def export_parquet(
    table: TableArg,
    records: RecordsArg,
    output: OutputOpt = None,
    include_irrelevant: IrrelevantOpt = False,
) -> None:
    """A flat table of claims, incidents or entities as Parquet."""
    _table(table, records, output, "parquet", include_irrelevant)


@import_app.command("stix")
def import_stix(
    bundle: Annotated[Path, typer.Argument(help="A STIX 2.0 or 2.1 bundle (JSON).")],
) -> None:
    """Add the intrusion sets, threat actors and malware of a bundle to the knowledge base."""
    from cyberops.export.stix_import import import_stix_file

    settings = Settings()
    result = _run(lambda: import_stix_file(bundle, settings))
    for name in result.added:
        typer.echo(f"added {name}")
    for name, aliases in result.extended.items():
        typer.echo(f"extended {name}: {', '.join(aliases)}")
    typer.echo(
        f"{len(result.added)} added, {len(result.extended)} extended, {result.unchanged} already known"
        + (f"; overlay {settings.kb_overlay}" if result.changed else ""),
        err=True,
    )
