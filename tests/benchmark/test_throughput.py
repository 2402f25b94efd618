"""Smoke tests of the speed benchmark on a tiny corpus built in code; no timing is asserted."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from cyberops.benchmark.throughput import default_corpus, run_benchmarks
from cyberops.cli.bench import bench
from cyberops.errors import InputError

CYBER_EN = (
    "Russia denies hacking British vaccine research\n\n"
    "The Kremlin on Thursday denied claims by Britain that Russian intelligence services hacked "
    'coronavirus vaccine research. "Russia has nothing to do with these attempts," spokesman Dmitry Peskov said.'
)
CYBER_FR = (
    "La Chine rejette les accusations de cyberespionnage\n\n"
    "La Chine a rejeté mardi les accusations de piratage visant une entreprise norvégienne de logiciels, "
    "a déclaré la porte-parole Hua Chunying."
)
NEWS = {
    "en": "Ad sales boost Time Warner profit\n\nQuarterly profits at US media giant TimeWarner jumped 76% to $1.13bn.",
    "de": "Die Gewerkschaft lanciert einen Rechner\n\nDie Gewerkschaft sieht Handlungsbedarf bei All-in-Verträgen.",
}
BODY = "Le ministère a rejeté mardi les accusations de piratage informatique visant ses services."


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for lang, text in NEWS.items():
        _write_jsonl(
            tmp_path / "news" / f"{lang}.jsonl",
            [{"id": f"{lang}-bg-{i}", "language": lang, "text": text} for i in range(3)],
        )
    _write_jsonl(
        tmp_path / "dev" / "en.jsonl",
        [
            {"id": "en-1", "language": "en", "text": CYBER_EN, "relevant": True},
            {"id": "en-2", "language": "en", "text": NEWS["en"], "relevant": False},
        ],
    )
    _write_jsonl(tmp_path / "dev" / "fr.jsonl", [{"id": "fr-1", "language": "fr", "text": CYBER_FR, "relevant": True}])
    _write_jsonl(tmp_path / "casie" / "dev.jsonl", [{"id": "casie-1", "language": "en", "text": CYBER_EN}])
    html = f"<html><body><nav>Accueil Monde</nav><article><p>{BODY}</p></article></body></html>"
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "z1.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
    truth = {"id": "z1", "url": "https://a.example/1", "body": BODY, "scoring": "shingle4"}
    (tmp_path / "html" / "ground-truth.jsonl").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return tmp_path


def test_documents_suites_report_speed_memory_and_the_bare_model(corpus: Path) -> None:
    report = run_benchmarks(corpus, workers=[1], only=["news", "relevant"], limit=2)
    news = report["suites"]["news"]
    assert news["documents"] == 4  # the limit applies per file
    assert news["languages"] == {"de": 2, "en": 2}
    (run,) = news["runs"]
    assert run["engine"] == "cyberops" and run["documents"] == 4 and run["failed"] == 0
    assert run["docs_per_second"] > 0 and run["peak_rss_mb"] > 0 and run["load_seconds"] >= 0
    assert run["cpu_seconds"] > 0 and run["docs_per_cpu_second"] > 0
    relevant = report["suites"]["relevant"]
    assert relevant["documents"] == 3  # the dev article marked irrelevant is left out
    assert {r["engine"] for r in relevant["runs"]} == {"cyberops", "spacy"}
    assert all(r["failed"] == 0 and r["docs_per_second"] > 0 for r in relevant["runs"])
    assert [t["name"].split(":")[0].split(" ")[0] for t in report["targets"]] == ["news", "relevant"]


def test_html_suite_runs_every_worker_count(corpus: Path) -> None:
    report = run_benchmarks(corpus, workers=[1, 2], only=["html"])
    html = report["suites"]["html"]
    assert html["pages"] == {"shingle4": 1, "segments": 0}
    assert [r["workers"] for r in html["runs"]] == [1, 2]
    assert html["runs"][0]["trafilatura.extract"]["pages_per_second"] > 0
    assert html["quality"]["cyberops.extract_html"]["body"]["shingle4"]["f1"] > 0


@pytest.mark.parametrize("only", [["nothing"], []])
def test_unknown_suites_are_refused_with_the_choices(corpus: Path, only: list[str]) -> None:
    with pytest.raises(InputError, match="news, relevant, html"):
        run_benchmarks(corpus, only=only)


def test_default_corpus_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CYBEROPS_CORPUS", str(tmp_path))
    assert default_corpus() == tmp_path


def test_command_prints_json(corpus: Path) -> None:
    app = typer.Typer()
    app.command()(bench)
    result = CliRunner().invoke(app, ["--corpus", str(corpus), "--only", "html", "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["suites"]["html"]["runs"][0]["workers"] == 1


def test_command_reports_a_missing_corpus(tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(bench)
    result = CliRunner().invoke(app, ["--corpus", str(tmp_path / "absent"), "--only", "html"])
    assert result.exit_code == 2
    assert "CYBEROPS_CORPUS" in result.output
