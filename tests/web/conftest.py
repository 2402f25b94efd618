"""Web fixtures: the app in-process over a real store, on a SQLite file and on a PostgreSQL server on loopback.

The PostgreSQL server comes from ``cyberops.store.testing`` (Debian's binaries,
a temporary data directory); its case is skipped only where they are absent.
A migrated database is made once per backend and copied for each test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_builders import fill

from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.store.testing import TemporaryPostgres, find_postgres_bin
from cyberops.web import WebSettings, create_app
from cyberops.web.tokens import create_token


@pytest.fixture(scope="session")
def web_postgres() -> Iterator[TemporaryPostgres]:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def web_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {}


@pytest.fixture(params=["sqlite", "postgresql"])
def web_db_url(request: pytest.FixtureRequest, tmp_path: Path, web_templates: dict[str, str]) -> str:
    """A database at the newest schema, with nothing in it."""
    backend = request.param
    if backend not in web_templates:
        if backend == "sqlite":
            path = request.getfixturevalue("tmp_path_factory").mktemp("web-template") / "store.db"
            RecordStore.open(f"sqlite:///{path}").close()
            web_templates[backend] = str(path)
        else:
            url = request.getfixturevalue("web_postgres").create_database("web_template")
            RecordStore.open(url).close()
            web_templates[backend] = "web_template"
    if backend == "sqlite":
        path = tmp_path / "store.db"
        shutil.copyfile(web_templates[backend], path)
        return f"sqlite:///{path}"
    return request.getfixturevalue("web_postgres").create_database(template=web_templates[backend])


@pytest.fixture
def web_store(web_db_url: str) -> Iterator[RecordStore]:
    with RecordStore.open(web_db_url) as store:
        yield store


@pytest.fixture
def dossier_ids(web_store: RecordStore) -> list[str]:
    """The store filled with the web test articles; the ids of their dossiers."""
    return fill(web_store)


@pytest.fixture
def make_client(web_store: RecordStore, settings: Settings) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(web: WebSettings | None = None, analyzer: object | None = None) -> TestClient:
        app = create_app(settings, web or WebSettings(), store=web_store, analyzer=analyzer)  # type: ignore[arg-type]
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TestClient], dossier_ids: list[str]) -> TestClient:
    """The app over the filled store, reads open."""
    return make_client()


@pytest.fixture
def analyst_token(web_store: RecordStore) -> str:
    return create_token(web_store.engine, "analyst", "test analyst")


@pytest.fixture
def reader_token(web_store: RecordStore) -> str:
    return create_token(web_store.engine, "reader", "test reader")
