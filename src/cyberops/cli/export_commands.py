"""``cyberops export ...`` and ``cyberops import stix``: thin shells over :mod:`cyberops.export`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from cyberops.errors import CyberopsError
from cyberops.export import (
    Dossier,
    ExportError,
    ExportOptions,
    Selection,
    filter_records,
    read_records,
    select_from_store,
    store_dossier,
    write_misp,
    write_stix,
    write_table,
)
from cyberops.record import Record
from cyberops.settings import Settings

if TYPE_CHECKING:
    from cyberops.store import RecordStore

export_app = typer.Typer(no_args_is_help=True, help="Export records as STIX 2.1, MISP, CSV or Parquet.")
import_app = typer.Typer(no_args_is_help=True, help="Import what other tools know into the knowledge base.")

T = TypeVar("T")

RecordsArg = Annotated[
    str | None,
    typer.Argument(
        help="Records as JSON Lines (the output of cyberops analyze), - for stdin; leave out to read the store."
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option("--db", help="Read the records from this store (default: the embedded one, or env CYBEROPS_DB)."),
]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Published on or after this day (YYYY-MM-DD).")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Published on or before this day (YYYY-MM-DD).")]
StateOpt = Annotated[str | None, typer.Option("--state", help="Records with a claim by or about this state (CN).")]
DossierOpt = Annotated[
    str | None, typer.Option("--dossier", help="One stored dossier, exported as a unit (see cyberops dossiers).")
]
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


def _records(path: str | None, db: str | None, selection: Selection) -> list[Record]:
    """The records of the file, or of the store when no file is given, that the selection keeps."""
    if path is not None:
        if db is not None:
            raise ExportError("give a records file or --db, not both")
        return filter_records(read_records(path, stdin=sys.stdin), selection)
    with _store(db) as store:
        return select_from_store(store, selection)


def _dossier(db: str | None, selection: Selection) -> Dossier:
    with _store(db) as store:
        return store_dossier(store, selection)


def _bundle(
    writer: Callable[..., int],
    records: str | None,
    output: Path | None,
    options: ExportOptions,
    title: str | None,
    db: str | None,
    selection: Selection,
) -> int:
    """Write one bundle (STIX) or event set (MISP): of a dossier from the store, or of the selected records."""
    if selection.dossier and records is None:
        return writer([], output, options, dossier=_dossier(db, selection))
    return writer(_records(records, db, selection), output, options, title)


def _store(db: str | None) -> RecordStore:
    from cyberops.store import RecordStore

    return RecordStore.open(Settings().with_overrides(database_url=db).database_url)


@export_app.command("stix")
def export_stix(
    records: RecordsArg = None,
    output: OutputOpt = None,
    tlp: TlpOpt = "clear",
    title: TitleOpt = None,
    include_irrelevant: IrrelevantOpt = False,
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    state: StateOpt = None,
    dossier: DossierOpt = None,
) -> None:
    """A STIX 2.1 bundle: a report per article, with actors, states, incidents and claims (a grouping per dossier)."""

    def export() -> int:
        # Options and selection check their values: built inside _run so a bad one is a one-line error.
        options = _options(tlp, include_irrelevant)
        return _bundle(write_stix, records, output, options, title, db, Selection(since, until, state, dossier))

    count = _run(export)
    typer.echo(f"{count} STIX objects", err=True)


@export_app.command("misp")
def export_misp(
    records: RecordsArg = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="A MISP feed folder (an event per article), or a file with --title."),
    ] = None,
    tlp: TlpOpt = "clear",
    title: TitleOpt = None,
    include_irrelevant: IrrelevantOpt = False,
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    state: StateOpt = None,
    dossier: DossierOpt = None,
) -> None:
    """MISP events with galaxy tags, link and evidence attributes: one per article, or one per dossier."""

    def export() -> int:
        # Options and selection check their values: built inside _run so a bad one is a one-line error.
        options = _options(tlp, include_irrelevant)
        return _bundle(write_misp, records, output, options, title, db, Selection(since, until, state, dossier))

    count = _run(export)
    typer.echo(f"{count} MISP events", err=True)


def _table(
    name: str,
    records: str | None,
    output: Path | None,
    fmt: str,
    include_irrelevant: bool,
    db: str | None,
    **chosen: str | None,
) -> None:
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        typer.echo("error: Parquet is binary; give -o FILE", err=True)
        raise typer.Exit(code=1)

    def export() -> int:
        selection = Selection(**chosen)
        if selection.dossier and records is None:
            selected = list(_dossier(db, selection).records)
        else:
            selected = _records(records, db, selection)
        return write_table(name, selected, output, fmt, _options("clear", include_irrelevant))

    count = _run(export)
    typer.echo(f"{count} rows", err=True)


FormatOpt = Annotated[str, typer.Option("--format", help="csv or parquet.")]


@export_app.command("csv")
def export_csv(
    table: TableArg,
    records: RecordsArg = None,
    output: OutputOpt = None,
    fmt: FormatOpt = "csv",
    include_irrelevant: IrrelevantOpt = False,
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    state: StateOpt = None,
    dossier: DossierOpt = None,
) -> None:
    """A flat table of claims, incidents or entities as CSV (columns in docs/export-mapping.md)."""
    _table(table, records, output, fmt, include_irrelevant, db, since=since, until=until, state=state, dossier=dossier)


@export_app.command("parquet")
def export_parquet(
    table: TableArg,
    records: RecordsArg = None,
    output: OutputOpt = None,
    include_irrelevant: IrrelevantOpt = False,
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    state: StateOpt = None,
    dossier: DossierOpt = None,
) -> None:
    """A flat table of claims, incidents or entities as Parquet."""
    _table(
        table,
        records,
        output,
        "parquet",
        include_irrelevant,
        db,
        since=since,
        until=until,
        state=state,
        dossier=dossier,
    )


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


def register(app: typer.Typer) -> None:
    """Add ``export`` and ``import`` to the main app."""
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
