from __future__ import annotations

import gzip
import json
from pathlib import Path

from cyberops.benchmark.extraction import run_extraction_benchmark

BODY = (
    "Le ministère a rejeté mardi les accusations de piratage informatique visant ses services.\n\n"
    "Selon plusieurs rapports, des pirates auraient accédé au réseau d'une entreprise de logiciels."
)


def _write_corpus(directory: Path) -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    html = f"<html><body><nav>Accueil Monde</nav><article>{paragraphs}</article><footer>Contact</footer></body></html>"
    truths = [
        {"id": "z1", "url": "https://a.example/1", "body": BODY, "scoring": "shingle4"},
        {
            "id": "t1",
            "url": None,
            "body": None,
            "scoring": "segments",
            "with": ["rejeté mardi les accusations"],
            "without": ["Accueil Monde"],
        },
    ]
    for truth in truths:
        (directory / f"{truth['id']}.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
    (directory / "ground-truth.jsonl").write_text("\n".join(json.dumps(t) for t in truths) + "\n", encoding="utf-8")


def test_benchmark_scores_both_extractors(tmp_path: Path) -> None:
    _write_corpus(tmp_path)
    report = run_extraction_benchmark(tmp_path)
    assert report["pages"] == {"shingle4": 1, "segments": 1}
    for name in ("cyberops.extract_html", "trafilatura.extract"):
        result = report[name]
        assert result["pages_per_second"] > 0
        assert result["text"]["segments"]["f1"] == 1.0
    assert report["cyberops.extract_html"]["body"]["shingle4"]["f1"] == 1.0
    assert report["trafilatura.extract"]["text"]["shingle4"]["recall"] == 1.0
