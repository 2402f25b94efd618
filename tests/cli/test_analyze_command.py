"""`cyberops analyze` through the real command, bad input included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cyberops.cli.main import app

ARTICLE = """Hackers linked to North Korea stole crypto from an exchange

South Korean police said on Friday that hackers working for North Korea's Reconnaissance General Bureau stole cryptocurrency worth millions from a Seoul exchange.
"""


@pytest.fixture
def runner(settings, monkeypatch) -> CliRunner:
    # The command builds its own Settings; point its KB cache at the session's.
    monkeypatch.setenv("CYBEROPS_CACHE_DIR", str(settings.cache_dir))
    return CliRunner()


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_a_text_file_gives_one_record_keeping_shape(runner, tmp_path: Path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(path)])
    assert result.exit_code == 0, result.output
    [record] = records(result.stdout)
    assert record["relevant"] is True
    assert {"id", "text", "language", "published", "entities", "incidents", "claims"} <= set(record)


def test_bad_documents_are_reported_and_the_batch_goes_on(runner, tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "image.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    result = runner.invoke(app, ["analyze", str(empty), str(binary), str(good), str(tmp_path / "missing.txt")])
    assert result.exit_code == 0
    assert len(records(result.stdout)) == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 3
    for name in ("empty.txt", "image.html", "missing.txt"):
        assert any(name in line for line in errors)


def test_exit_code_is_non_zero_only_when_every_document_failed(runner, tmp_path: Path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["analyze", str(empty)])
    assert result.exit_code == 1
    assert "empty.txt" in result.stderr


def test_jsonl_input_keeps_ids_and_writes_output_file(runner, tmp_path: Path):
    source = tmp_path / "docs.jsonl"
    lines = [{"id": "doc-1", "text": ARTICLE}, {"id": "doc-2", "text": "Weather\n\nIt rained all day in the valley."}]
    source.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["analyze", str(source), "-o", str(out)])
    assert result.exit_code == 0
    got = records(out.read_text("utf-8"))
    assert [r["id"] for r in got] == ["doc-1", "doc-2"]
    assert got[1]["relevant"] is False
    assert "docs.jsonl:3" in result.stderr


def test_stdin_is_read_with_a_dash(runner):
    result = runner.invoke(app, ["analyze", "-"], input=ARTICLE)
    assert result.exit_code == 0, result.output
    assert len(records(result.stdout)) == 1


def test_pretty_view_shows_claims_with_evidence(runner, tmp_path: Path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(app, ["analyze", str(path), "--pretty"])
    assert result.exit_code == 0
    assert "ATTRIBUTION" in result.stdout and "Reconnaissance General Bureau" in result.stdout
