"""The store commands through the real CLI, on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberops.cli.main import app
from cyberops.store.testing import TemporaryPostgres, empty_tables, find_postgres_bin

ARTICLE = """Hackers linked to North Korea stole crypto from {exchange}

South Korean police said on Friday that hackers working for North Korea's Reconnaissance General Bureau stole cryptocurrency worth millions from {exchange}, an exchange in Seoul.
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[TemporaryPostgres]:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries are not installed (apt-get install postgresql)")
    with TemporaryPostgres() as server:
        server.create_database("cli")
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cli.db'}"
    url = request.getfixturevalue("postgres").url("cli")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade", "--db", url]).exit_code == 0
    empty_tables(url)
    return url


@pytest.fixture
def runner(settings, monkeypatch, tmp_path: Path) -> CliRunner:
    monkeypatch.setenv("CYBEROPS_CACHE_DIR", str(settings.cache_dir))
    # Never the user's own database, whatever a test forgets to pass.
    monkeypatch.setenv("CYBEROPS_DB", f"sqlite:///{tmp_path / 'default.db'}")
    return CliRunner()


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for name in ("Upbit", "Bithumb"):
        (folder / f"{name.lower()}.txt").write_text(ARTICLE.format(exchange=name), encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "noise.html").write_bytes(bytes(range(256)) * 16)
    return folder


def test_ingest_search_show_and_errors(runner: CliRunner, db: str, articles: Path):
    result = runner.invoke(app, ["ingest", str(articles), "--db", db])
    assert result.exit_code == 0, result.output
    assert "stored 2, already stored 0, duplicates 0, errors 2" in result.stderr

    again = runner.invoke(app, ["ingest", str(articles), "--db", db])
    assert "stored 0, already stored 2" in again.stderr

    found = runner.invoke(app, ["search", "Upbit", "--state", "KP", "--kind", "attribution", "--json", "--db", db])
    assert found.exit_code == 0, found.output
    data = json.loads(found.stdout)
    assert data["total"] == 1 and data["facets"]["language"] == {"en": 1}
    [hit] = data["hits"]
    assert hit["title"].startswith("Hackers linked to North Korea") and hit["claims"]

    table = runner.invoke(app, ["search", "", "--db", db])
    assert "2 documents" in table.stdout and "claim_kind" in table.stdout

    shown = runner.invoke(app, ["show", hit["id"], "--json", "--db", db])
    assert json.loads(shown.stdout)["id"] == hit["id"]
    pretty = runner.invoke(app, ["show", hit["id"], "--db", db])
    assert "ATTRIBUTION" in pretty.stdout and "Reconnaissance General Bureau" in pretty.stdout

    errors = runner.invoke(app, ["errors", "--db", db])
    lines = errors.stdout.splitlines()
    assert len(lines) == 2 and any("empty.txt: empty document (x2)" in line for line in lines)

    assert runner.invoke(app, ["db", "check", "--db", db]).stdout.strip() == "ok"


def test_show_an_unknown_document(runner: CliRunner, db: str):
    result = runner.invoke(app, ["show", "missing", "--db", db])
    assert result.exit_code == 1 and "cyberops search" in result.stderr


def test_a_bad_date_is_a_one_line_error(runner: CliRunner, db: str):
    result = runner.invoke(app, ["search", "x", "--since", "yesterday", "--db", db])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr


def test_ingest_fails_only_when_every_document_failed(runner: CliRunner, db: str, tmp_path: Path):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert runner.invoke(app, ["ingest", str(tmp_path / "empty.txt"), "--db", db]).exit_code == 1


def test_db_upgrade_on_an_empty_database(runner: CliRunner, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    first = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert first.exit_code == 0 and "(was None)" in first.stdout
    assert "already up to date" in runner.invoke(app, ["db", "upgrade", "--db", url]).stdout


def test_the_database_comes_from_the_environment(runner: CliRunner, tmp_path: Path, monkeypatch, articles: Path):
    monkeypatch.setenv("CYBEROPS_DB", f"sqlite:///{tmp_path / 'env.db'}")
    assert runner.invoke(app, ["ingest", str(articles / "upbit.txt")]).exit_code == 0
    assert (tmp_path / "env.db").exists()
    assert json.loads(runner.invoke(app, ["search", "Upbit", "--json"]).stdout)["total"] == 1


def test_an_unreachable_database_is_a_clear_error(runner: CliRunner):
    result = runner.invoke(app, ["errors", "--db", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"])
    assert result.exit_code == 2 and "cannot open the database" in result.stderr
