"""Store commands: ``ingest``, ``watch``, ``search``, ``show``, ``errors``, ``dossiers``, ``dossier``, ``correlate``,
``reanalyze``, ``db upgrade`` — thin shells over :mod:`cyberops.pipeline` and the store."""

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
    from cyberops.pipeline import DossierReport, IngestCounts
    from cyberops.store import RecordStore

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL: sqlite:///path.db or postgresql://user@host/db (env CYBEROPS_DB)."),
]
db_app = typer.Typer(no_args_is_help=True, help="The database: schema migrations.")


def register(app: typer.Typer) -> None:
    """Add the store commands to the ``cyberops`` application."""
    app.command("ingest")(ingest_command)
    app.command("watch")(watch_command)
    app.command("search")(search_command)
    app.command("show")(show_command)
    app.command("errors")(errors_command)
    app.command("dossiers")(dossiers_command)
    app.command("dossier")(dossier_command)
    app.command("correlate")(correlate_command)
    app.command("reanalyze")(reanalyze_command)
    app.add_typer(db_app, name="db")


def _open(db: str | None, settings: Settings | None = None) -> RecordStore:
    from cyberops.store import RecordStore, StoreError

    url = (settings or Settings()).with_overrides(database_url=db).database_url
    try:
        return RecordStore.open(url)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc


Workers = Annotated[int, typer.Option("--workers", "-w", min=1, help="Analyze in this many processes.")]
AllowPrivate = Annotated[
    bool,
    typer.Option("--allow-private", help="Allow URLs that resolve to private, loopback or link-local addresses."),
]


def ingest_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Files (.html .htm .txt .jsonl .warc .warc.gz), folders, URLs, or - for stdin."),
    ] = None,
    feed: Annotated[
        list[str] | None,
        typer.Option("--feed", help="An RSS/Atom feed or OPML list (URL or file); repeat for more. New items only."),
    ] = None,
    workers: Workers = 1,
    db: Db = None,
    allow_private: AllowPrivate = False,
) -> None:
    """Analyze articles and store their records; what is already stored is skipped, so a re-run resumes."""
    from cyberops.pipeline import IngestCounts, ingest_feeds, ingest_inputs

    if not inputs and not feed:
        typer.echo("error: name files, folders or URLs to ingest, or a feed with --feed", err=True)
        raise typer.Exit(code=2)
    settings = Settings().with_overrides(allow_private=allow_private or None, database_url=db)
    counts = IngestCounts()
    with _open(db, settings) as store, _ProgressLine() as show:
        if inputs:
            counts = ingest_inputs(inputs, store, settings, workers=workers, on_progress=show, stdin=sys.stdin.buffer)
        if feed:
            before = counts
            counts = ingest_feeds(feed, store, settings, workers=workers, on_progress=lambda c: show(_sum(before, c)))
            counts = _sum(before, counts)
    typer.echo(_summary(counts), err=True)
    if counts.failed and counts.seen == counts.failed:
        raise typer.Exit(code=1)


def watch_command(
    feeds: Annotated[list[str], typer.Argument(help="RSS/Atom feeds or OPML lists (URLs or files).")],
    every: Annotated[str, typer.Option(help="Time between polls: 30s, 15m, 1h, 1h30m.")] = "15m",
    db: Db = None,
    allow_private: AllowPrivate = False,
) -> None:
    """Poll feeds until stopped (Ctrl-C), storing new items; feed states persist, so a restart goes on where it was."""
    from cyberops.ingest.feeds import parse_duration
    from cyberops.pipeline import watch_feeds

    try:
        seconds = parse_duration(every)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    settings = Settings().with_overrides(allow_private=allow_private or None, database_url=db)

    def report(counts: IngestCounts) -> None:
        typer.echo(_summary(counts), err=True)

    with _open(db, settings) as store:
        try:
            watch_feeds(feeds, store, settings, seconds, on_poll=report)
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)


def _sum(a: IngestCounts, b: IngestCounts) -> IngestCounts:
    from dataclasses import fields

    return type(a)(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})


def _summary(counts: IngestCounts) -> str:
    return (
        f"stored {counts.stored}, already stored {counts.skipped}, duplicates {counts.duplicates}, "
        f"errors {counts.failed}"
        + (" (see `cyberops errors`)" if counts.failed else "")
        + f", dossiers {counts.dossiers}"
    )


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
        copies = store.copies(hit.id for hit in result.hits)
    if as_json:
        data = result.to_dict()
        for hit in data.get("hits", []):
            hit["copies"] = copies.get(hit["id"], 1)
        print(json.dumps(data, ensure_ascii=False, default=str, indent=1))
        return
    console = Console()
    table = Table(title=f"{result.total} documents", expand=True, show_lines=False)
    table.add_column("id", no_wrap=True)
    for column in ("published", "outlet", "lang", "headline", "claims", "copies"):
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
            Text(str(copies.get(hit.id, 1))),
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


def dossiers_command(
    actor: Annotated[str | None, typer.Option(help="A threat actor or malware, by any of its names.")] = None,
    state: Annotated[str | None, typer.Option(help="A state (ISO code) as a claim's speaker or subject.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Dossiers per page.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many (pagination).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    db: Db = None,
) -> None:
    """Incidents followed across articles, most recently updated first; stories count wire copies once."""
    with _open(db) as store:
        found = store.list_dossiers(actor=actor, state=state, limit=limit, offset=offset)
    if as_json:
        print(json.dumps([vars(d) for d in found], ensure_ascii=False, default=str, indent=1))
        return
    table = Table(title=f"{len(found)} dossiers", expand=True)
    for column in ("id", "title", "documents", "stories", "updated"):
        table.add_column(column, overflow="fold")
    for d in found:
        table.add_row(Text(d.id), Text(d.title or ""), str(d.documents), str(d.stories), f"{d.updated:%Y-%m-%d %H:%M}")
    Console().print(table)


def dossier_command(
    dossier_id: Annotated[str, typer.Argument(help="The dossier id, as `cyberops dossiers` shows it.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the dossier (members, timeline, copies) as JSON.")
    ] = False,
    db: Db = None,
) -> None:
    """One dossier: which states accuse whom and who denies, and a timeline of who said what, when, where."""
    from cyberops.pipeline import load_dossier

    with _open(db) as store:
        report = load_dossier(store, dossier_id)
    if report is None:
        typer.echo(f"error: no dossier {dossier_id!r}; list them with `cyberops dossiers`", err=True)
        raise typer.Exit(code=1)
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        _render_dossier(report, Console())


def _render_dossier(report: DossierReport, console: Console) -> None:
    dossier = report.dossier
    console.print(Text(dossier.title or dossier.id, style="bold"))
    console.print(
        Text(
            f"{dossier.id} · {dossier.first_date or '?'} – {dossier.last_date or '?'} · "
            f"{len(dossier.documents)} documents · actors: {', '.join(dossier.actors) or '-'}"
        )
    )
    for accusation in dossier.accusations:
        console.print(
            Text(f"  {accusation.kind}: {accusation.speaker_state or '?'} → {accusation.subject_state or '?'}"
                 f" ({accusation.count}x)")
        )  # fmt: skip
    # One block per event, not a table: the evidence sentence needs the full width to be read.
    for event in dossier.timeline:
        who = ", ".join(p for p in (event.speaker, event.speaker_role) if p) or "the article"
        if event.speaker_state:
            who += f" ({event.speaker_state})"
        target = event.subject_actor or event.subject_state
        if event.kind != "report" and target:
            who += f" → {target}"
        copies = report.copies.get(event.document_id, 1)
        where = " · ".join(
            part
            for part in (event.outlet, event.language, f"{copies} copies" if copies > 1 else None, event.document_id)
            if part
        )
        kind = event.kind.upper() + (" (hedged)" if event.hedged else "")
        console.print(Text(f"\n{event.date or '????-??-??'}  {kind}  {who}  [{where}]"))
        if event.evidence:
            console.print(Text(f"    {event.evidence}", style="dim"))


def correlate_command(db: Db = None) -> None:
    """Rebuild every dossier from the stored records (ingest keeps them up to date; this starts over)."""
    from cyberops.pipeline import rebuild_dossiers

    with _open(db) as store:
        counts = rebuild_dossiers(store)
    typer.echo(f"{counts.changed} dossiers from {counts.documents} documents")


def reanalyze_command(
    everything: Annotated[
        bool, typer.Option("--all", help="Every document, whatever analyzer version made it.")
    ] = False,
    older_than_version: Annotated[
        bool, typer.Option("--older-than-version", help="Documents analyzed by another version (the default).")
    ] = False,
    workers: Workers = 1,
    db: Db = None,
) -> None:
    """Analyze stored documents again with this analyzer and update their records and dossiers; documents stay."""
    from cyberops.pipeline import reanalyze

    if everything and older_than_version:
        typer.echo("error: give --all or --older-than-version, not both", err=True)
        raise typer.Exit(code=2)
    settings = Settings().with_overrides(database_url=db)
    with _open(db, settings) as store, _ProgressLine() as show:
        counts = reanalyze(store, settings, everything=everything, workers=workers, on_progress=show)
    typer.echo(f"re-analyzed {counts.replaced}, errors {counts.failed}, dossiers {counts.dossiers}", err=True)


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
