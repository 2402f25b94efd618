"""Store commands: ``ingest``, ``search``, ``show``, ``errors``, ``db upgrade`` — thin shells over the store."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cyberops.settings import Settings

if TYPE_CHECKING:
    from cyberops.pipeline import IngestCounts
    from cyberops.store import RecordStore

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL: sqlite:///path.db or postgresql://user@host/db (env CYBEROPS_DB)."),
]
db_app = typer.Typer(no_args_is_help=True, help="The database: schema migrations.")


def register(app: typer.Typer) -> None:
    """Add the store commands to the ``cyberops`` application."""
    app.command("ingest")(ingest_command)
    app.command("search")(search_command)
    app.command("show")(show_command)
    app.command("errors")(errors_command)
    app.add_typer(db_app, name="db")


def _open(db: str | None, settings: Settings | None = None) -> RecordStore:
    from cyberops.store import RecordStore, StoreError

    url = (settings or Settings()).with_overrides(database_url=db).database_url
    try:
        return RecordStore.open(url)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


def ingest_command(
    inputs: Annotated[list[str], typer.Argument(help="Files (.html .htm .txt .jsonl), folders, URLs, or - for stdin.")],
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Analyze in this many processes.")] = 1,
    db: Db = None,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Allow URLs that resolve to private, loopback or link-local addresses."),
    ] = False,
) -> None:
    """Analyze articles and store their records; what is already stored is skipped, so a re-run resumes."""
    from cyberops.pipeline import ingest_inputs

    settings = Settings().with_overrides(allow_private=allow_private or None, database_url=db)
    with _open(db, settings) as store, _ProgressLine() as show:
        counts = ingest_inputs(inputs, store, settings, workers=workers, on_progress=show, stdin=sys.stdin.buffer)
    typer.echo(
        f"stored {counts.stored}, already stored {counts.skipped}, duplicates {counts.duplicates}, "
        f"errors {counts.failed}" + (" (see `cyberops errors`)" if counts.failed else ""),
        err=True,
    )
    if counts.failed and counts.seen == counts.failed:
        raise typer.Exit(code=1)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed or 0:.1f} docs/s", style="cyan")


class _ProgressLine:
    """A Rich progress line on stderr: documents done, what became of them, the rate."""

    def __enter__(self):
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.completed} documents"),
            TextColumn(
                "[green]{task.fields[stored]} stored[/] · {task.fields[skipped]} skipped · "
                "{task.fields[duplicates]} duplicates · [red]{task.fields[failed]} errors[/]"
            ),
            _RateColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.progress.start()
        self.task = self.progress.add_task("ingest", total=None, stored=0, skipped=0, duplicates=0, failed=0)
        return self.update

    def update(self, counts: IngestCounts) -> None:
        self.progress.update(
            self.task,
            completed=counts.seen,
            stored=counts.stored,
            skipped=counts.skipped,
            duplicates=counts.duplicates,
            failed=counts.failed,
        )

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def search_command(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", a OR b, -excluded, prefix*; "" for all.')] = "",
    state: Annotated[str | None, typer.Option(help="A state (ISO code) as a claim's speaker or subject.")] = None,
    kind: Annotated[str | None, typer.Option(help="A claim kind: attribution, denial, response...")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before this date (YYYY-MM-DD).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language code, e.g. fr.")] = None,
    actor: Annotated[str | None, typer.Option(help="A threat actor or malware, by any of its names.")] = None,
    outlet: Annotated[str | None, typer.Option(help="The outlet that published the article.")] = None,
    incident_type: Annotated[str | None, typer.Option("--type", help="An incident type, e.g. espionage.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Hits per page.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many hits (pagination).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print hits and facets as JSON.")] = False,
    db: Db = None,
) -> None:
    """Search stored records: full text, filters, and counts per language, claim kind, state, actor, outlet."""
    from cyberops.store import StoreError

    with _open(db) as store:
        try:
            result = store.search(
                query, state=state, kind=kind, since=since, until=until, lang=lang, actor=actor,
                outlet=outlet, incident_type=incident_type, limit=limit, offset=offset,
            )  # fmt: skip
        except StoreError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from exc
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, default=str, indent=1))
        return
    console = Console()
    table = Table(title=f"{result.total} documents", expand=True, show_lines=False)
    table.add_column("id", no_wrap=True)
    for column in ("published", "outlet", "lang", "headline", "claims"):
        table.add_column(column, overflow="fold")
    for hit in result.hits:
        # Article text is untrusted: Text objects, never markup.
        table.add_row(
            Text(hit.id),
            Text(hit.published or ""),
            Text(hit.outlet or ""),
            Text(hit.language or ""),
            Text(hit.title or ""),
            Text(", ".join(str(chip) for chip in hit.claims)),
        )
    console.print(table)
    for name, values in result.facets.items():
        if values:
            shown = ", ".join(f"{escape(str(value))} {count}" for value, count in values.items())
            console.print(f"[bold]{name}[/bold]: {shown}")


def show_command(
    document_id: Annotated[str, typer.Argument(help="The document id, as `cyberops search` shows it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON (RECORD.md).")] = False,
    db: Db = None,
) -> None:
    """Show one stored record with its claims, incidents and the sentences they come from."""
    from cyberops.cli.pretty import render_record

    with _open(db) as store:
        record = store.get(document_id)
    if record is None:
        typer.echo(f"error: no document {document_id!r} in the store; find ids with `cyberops search`", err=True)
        raise typer.Exit(code=1)
    if as_json:
        print(json.dumps(record.to_dict(), ensure_ascii=False))
    else:
        render_record(record, Console())


def errors_command(
    limit: Annotated[int, typer.Option(min=1, help="Show this many, most recent first.")] = 100,
    db: Db = None,
) -> None:
    """The documents that could not be read, analyzed or stored, and why."""
    with _open(db) as store:
        errors = store.errors(limit=limit)
    for error in errors:
        # One plain line per error, never wrapped: scripts grep these.
        repeat = f" (x{error.occurrences})" if error.occurrences > 1 else ""
        typer.echo(f"{error.time:%Y-%m-%d %H:%M:%S}  {error.source}: {error.message}{repeat}")


@db_app.command("upgrade")
def db_upgrade(db: Db = None) -> None:
    """Bring the database schema up to date (a fresh database is set up on first use anyway)."""
    from cyberops.store import StoreError, upgrade_database

    try:
        before, after = upgrade_database(Settings().with_overrides(database_url=db).database_url)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"schema at {after}" + (f" (was {before})" if before != after else " (already up to date)"))


@db_app.command("check")
def db_check(db: Db = None) -> None:
    """Check the store's integrity: the database's own check, orphan rows, rows that disagree with their record."""
    with _open(db) as store:
        problems = store.check()
    for problem in problems:
        typer.echo(f"problem: {problem}")
    if problems:
        raise typer.Exit(code=1)
    typer.echo("ok")
