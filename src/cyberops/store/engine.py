"""Engines for the two backends: an embedded SQLite file (WAL) or a PostgreSQL server.

:func:`create_engine` is called where the program starts (a CLI command, the
web app factory, a test fixture), never at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cyberops.errors import CyberopsError


class StoreError(CyberopsError):
    """The database cannot be used as it is: wrong URL, unreachable server, schema out of date."""


def create_engine(url: str) -> sa.Engine:
    """An engine for ``url``: ``sqlite:///path.db`` or ``postgresql://user@host/db``."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"{url!r} is not a database URL; use sqlite:///path.db or postgresql://host/db") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        # psycopg 3 rather than SQLAlchemy's default psycopg2 driver.
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True, json_serializer=_json)
    raise StoreError(f"{parsed.get_backend_name()!r} is not supported; use sqlite:///path.db or postgresql://host/db")


def _json(value: object) -> str:
    # Records are mostly non-English text: keep it UTF-8 rather than ASCII escapes that double its size.
    return json.dumps(value, ensure_ascii=False)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, json_serializer=_json)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin,
        # so that a document and all its rows are one BEGIN ... COMMIT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers (search, the web UI) never block the writer. synchronous=NORMAL
        # keeps the database consistent when the process is killed; only a power cut
        # can lose the last few commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Search reads the same pages over and over (FTS doclists, the claims index): a 64 MB page cache per
        # connection, the file memory-mapped, and sorts and temporary b-trees of search kept in memory.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine
