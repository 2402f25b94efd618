"""Web commands: ``cyberops serve`` (the workbench and REST API) and ``cyberops token create``."""

from __future__ import annotations

from typing import Annotated

import typer

from cyberops.settings import Settings

Db = Annotated[
    str | None,
    typer.Option("--db", help="Database URL: sqlite:///path.db or postgresql://user@host/db (env CYBEROPS_DB)."),
]
token_app = typer.Typer(no_args_is_help=True, help="API tokens for the web app's write endpoints.")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``token`` to the ``cyberops`` application."""
    app.command("serve")(serve_command)
    app.add_typer(token_app, name="token")


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 exposes the server to the network.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: Db = None,
    protect_reads: Annotated[
        bool,
        typer.Option(
            "--protect-reads/--open-reads",
            help="Require a reader token for pages and GET endpoints too (env CYBEROPS_WEB_READS_NEED_TOKEN).",
        ),
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Let analyze-by-URL fetch private, loopback or link-local addresses."),
    ] = False,
) -> None:
    """Serve the web workbench and REST API (docs at /docs, OpenAPI at /openapi.json)."""
    import uvicorn

    from cyberops.store import StoreError
    from cyberops.web import WebSettings, create_app

    settings = Settings().with_overrides(database_url=db, allow_private=allow_private or None)
    web = WebSettings.from_env(reads_need_token=protect_reads or None)
    try:
        app = create_app(settings, web)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"cyberops on http://{host}:{port}/ (database {settings.database_url})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="reader (may read when reads are protected) or analyst (may also write).")],
    label: Annotated[str | None, typer.Option(help="Whose token this is, for your own records.")] = None,
    db: Db = None,
) -> None:
    """Make an API token and print it; only its hash is stored, so keep the printed value."""
    from cyberops.store import RecordStore, StoreError
    from cyberops.web.tokens import ROLES, create_token

    if role not in ROLES:
        typer.echo(f"error: --role must be one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(code=2)
    try:
        with RecordStore.open(Settings().with_overrides(database_url=db).database_url) as store:
            token = create_token(store.engine, role, label)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    print(token)
