"""Store fixtures: every store test runs on a SQLite file and on a real PostgreSQL server on loopback.

The server is started once per session from the Debian binaries (see
``cyberops.store.testing``); PostgreSQL tests share one migrated database
whose tables are emptied before each test (a new database per test would copy
megabytes each time). The PostgreSQL case is skipped only where the binaries
are not installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cyberops.store import RecordStore
from cyberops.store.testing import TemporaryPostgres, empty_tables, find_postgres_bin

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_store_url(postgres_server: TemporaryPostgres) -> str:
    """One migrated PostgreSQL database for the session; tests empty its tables instead of making new ones."""
    url = postgres_server.create_database("store_tests")
    RecordStore.open(url).close()
    return url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with nothing in it, not even the schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_server").create_database()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store at the newest schema with no rows: a new SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url = request.getfixturevalue("postgres_store_url")
    empty_tables(url)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[RecordStore]:
    with RecordStore.open(db_url) as opened:
        yield opened
