"""``cyberops batch``: analyze shards of an archive into Parquet record shards (local processes or Ray)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cyberops.settings import Settings


def batch(
    # Strings, not Paths: Path("s3://bucket/key") would collapse the "//" of a URI.
    shards: Annotated[
        list[str],
        typer.Argument(
            help="Shards (.jsonl, .jsonl.gz, .warc, .warc.gz, .parquet), folders or patterns of them, local or in "
            "an object store (s3://bucket/dump/*.jsonl.gz; credentials and endpoint from the AWS_* variables)."
        ),
    ],
    out: Annotated[str, typer.Option("--out", "-o", help="Local folder for the record shards (<input name>.parquet).")],
    engine: Annotated[str, typer.Option(help="local (processes on this machine) or ray (Ray Data).")] = "local",
    workers: Annotated[int, typer.Option(min=1, help="Worker processes, or actors per stage with Ray.")] = 1,
    address: Annotated[
        str | None, typer.Option(help="Ray cluster to use, e.g. ray://head:10001 (default: start a local one).")
    ] = None,
    max_bytes: Annotated[int | None, typer.Option(help="Refuse documents larger than this many bytes.")] = None,
) -> None:
    """Analyze shards into Parquet record shards; a re-run skips the shards already done."""
    from cyberops.batch import BatchError, ShardSummary, run_batch
    from cyberops.batch.output import SUMMARY_NAME
    from cyberops.batch.storage import base_name

    console = Console(stderr=True)

    def report(shard: ShardSummary) -> None:
        # One plain line per shard as it completes: long jobs show progress, scripts can grep them.
        detail = f"error: {shard.message}" if shard.message else f"{shard.documents} documents"
        typer.echo(f"{shard.status}: {shard.input} ({detail})", err=True)

    settings = Settings().with_overrides(max_bytes=max_bytes)
    try:
        summary = run_batch(
            list(shards), out, settings, engine=engine, workers=workers, address=address, on_shard=report
        )
    except BatchError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    table = Table("shard", "status", "documents", "relevant", "errors", title=f"{summary.engine} × {summary.workers}")
    for shard in summary.shards:
        counts = (str(shard.documents), str(shard.relevant), str(shard.errors))
        table.add_row(base_name(shard.input), shard.status, *counts)
    table.add_row("total", "", str(summary.documents), str(summary.relevant), str(summary.errors), style="bold")
    console.print(table)
    console.print(f"{summary.seconds:.1f} s; summary in {Path(out) / SUMMARY_NAME}")
    if summary.failed_shards:
        raise typer.Exit(code=1)


def load(
    records: Annotated[Path, typer.Argument(help="A folder of record shards from `cyberops batch`, or one shard.")],
    db: Annotated[
        str | None, typer.Option(help="Database URL, e.g. postgresql://user@host/db (default: $CYBEROPS_DB or SQLite).")
    ] = None,
    correlate: Annotated[
        bool, typer.Option("--correlate/--no-correlate", help="Update dossiers with the new documents.")
    ] = True,
) -> None:
    """Bulk-load record shards into the store (COPY on PostgreSQL); loading twice changes nothing."""
    from cyberops.batch import BatchError
    from cyberops.batch.load import ShardLoad, load_records
    from cyberops.store import RecordStore

    def report(shard: ShardLoad) -> None:
        typer.echo(
            f"loaded: {shard.shard} ({shard.stored} new, {shard.already} already stored, {shard.errors} errors)",
            err=True,
        )

    url = db or Settings().database_url
    try:
        with RecordStore.open(url) as store:
            summary = load_records(records, store, correlate=correlate, on_shard=report)
    except BatchError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    typer.echo(
        f"{summary.stored} new documents of {summary.records} records in {summary.seconds:.1f} s "
        f"({rate:.0f} records/s); {summary.dossiers} dossiers updated",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command(help="Analyze archive shards into Parquet record shards (engine: local or ray).")(batch)
    app.command(help="Bulk-load record shards into the store, then update dossiers with the new documents.")(load)
