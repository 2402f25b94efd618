"""The store commands through the real CLI, on a SQLite file and on a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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


VISMA_REPORT = """Norwegian firm Visma hit by Chinese hackers, investigators say

Investigators said on Wednesday that APT10, a hacking group working for China's Ministry of State Security, broke into the network of Visma, a Norwegian software company, to steal trade secrets from its clients.
"""
VISMA_DENIAL = """China rejects accusations over Visma intrusion

China's foreign ministry on Thursday rejected accusations that the APT10 group had hacked the Norwegian software company Visma. Spokeswoman Hua Chunying called the claims groundless.
"""


def test_two_articles_on_one_operation_form_a_dossier_shown_by_the_cli(runner: CliRunner, db: str, tmp_path: Path):
    folder = tmp_path / "visma"
    folder.mkdir()
    (folder / "report.txt").write_text(VISMA_REPORT, encoding="utf-8")
    (folder / "denial.txt").write_text(VISMA_DENIAL, encoding="utf-8")
    ingested = runner.invoke(app, ["ingest", str(folder), "--db", db])
    assert ingested.exit_code == 0 and "stored 2" in ingested.stderr and "dossiers 1" in ingested.stderr

    listed = json.loads(runner.invoke(app, ["dossiers", "--actor", "APT10", "--json", "--db", db]).stdout)
    [summary] = listed
    assert summary["documents"] == 2 and summary["stories"] == 2
    assert json.loads(runner.invoke(app, ["dossiers", "--actor", "Lazarus", "--json", "--db", db]).stdout) == []

    shown = runner.invoke(app, ["dossier", summary["id"], "--json", "--db", db])
    dossier = json.loads(shown.stdout)
    assert len(dossier["documents"]) == 2 and "CN" in dossier["denier_states"]
    assert {e["kind"] for e in dossier["timeline"]} >= {"report", "denial"}
    pretty = runner.invoke(app, ["dossier", summary["id"], "--db", db], env={"COLUMNS": "160"})
    assert "DENIAL" in pretty.stdout and "Hua Chunying" in pretty.stdout and "APT10" in pretty.stdout

    rebuilt = runner.invoke(app, ["correlate", "--db", db])
    assert rebuilt.stdout.strip() == "1 dossiers from 2 documents"
    again = runner.invoke(app, ["reanalyze", "--all", "--db", db])
    assert again.exit_code == 0 and "re-analyzed 2, errors 0" in again.stderr
    assert [d["id"] for d in json.loads(runner.invoke(app, ["dossiers", "--json", "--db", db]).stdout)] == [
        summary["id"]
    ]
    assert runner.invoke(app, ["dossier", "dos-missing", "--db", db]).exit_code == 1


def test_search_shows_how_many_copies_a_story_has(runner: CliRunner, db: str, tmp_path: Path):
    lines = [
        {"id": "wire-1", "url": "https://a.example/visma", "text": VISMA_REPORT},
        {
            "id": "wire-2",
            "url": "https://b.example/visma",
            "text": VISMA_REPORT.replace("Investigators said", "OSLO (Wire) - Investigators said"),
        },
    ]
    source = tmp_path / "wire.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(source), "--db", db]).exit_code == 0
    hits = json.loads(runner.invoke(app, ["search", "Visma", "--json", "--db", db]).stdout)["hits"]
    assert sorted((h["id"], h["copies"]) for h in hits) == [("wire-1", 2), ("wire-2", 2)]
    [summary] = json.loads(runner.invoke(app, ["dossiers", "--json", "--db", db]).stdout)
    assert (summary["documents"], summary["stories"]) == (2, 1)


class _FeedHandler(BaseHTTPRequestHandler):
    """A news site on loopback: an RSS feed with an ETag, and two article pages."""

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path == "/rss.xml":
            if self.headers.get("If-None-Match") == '"feed-1"':
                self.send_response(304)
                self.send_header("ETag", '"feed-1"')
                self.end_headers()
                return
            items = "".join(f"<item><title>Item {n}</title><link>{base}/news/{n}</link></item>" for n in (1, 2))
            self.reply(
                f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loop Wire</title>{items}</channel></rss>',
                "application/rss+xml",
                {"ETag": '"feed-1"'},
            )
        elif self.path in ("/news/1", "/news/2"):
            exchange = "Upbit" if self.path.endswith("1") else "Bithumb"
            body = ARTICLE.format(exchange=exchange).replace("\n\n", "</h1><p>", 1)
            self.reply(
                f"<html><head><title>{exchange}</title></head><body><article><h1>{body}</p></article></body></html>",
                "text/html; charset=utf-8",
                {},
            )
        else:
            self.send_error(404)

    def reply(self, body: str, content_type: str, headers: dict[str, str]) -> None:
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.network
def test_ingest_a_feed_from_a_server_on_loopback_then_a_304(runner: CliRunner, db: str):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        feed = f"http://127.0.0.1:{server.server_port}/rss.xml"
        refused = runner.invoke(app, ["ingest", "--feed", feed, "--db", db])
        assert refused.exit_code == 1  # loopback is refused unless allowed, and said so
        assert "private" in runner.invoke(app, ["errors", "--db", db]).stdout
        first = runner.invoke(app, ["ingest", "--feed", feed, "--allow-private", "--db", db])
        assert first.exit_code == 0 and "stored 2," in first.stderr, first.output
        second = runner.invoke(app, ["ingest", "--feed", feed, "--allow-private", "--db", db])
        assert second.exit_code == 0 and "stored 0, already stored 0" in second.stderr
        assert json.loads(runner.invoke(app, ["search", "Bithumb", "--json", "--db", db]).stdout)["total"] == 1
    finally:
        server.shutdown()
        server.server_close()


def test_ingest_needs_something_to_ingest(runner: CliRunner, db: str):
    result = runner.invoke(app, ["ingest", "--db", db])
    assert result.exit_code == 2 and "--feed" in result.stderr
