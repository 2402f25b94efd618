"""HTML main-text extraction benchmark: our ``extract_html`` against trafilatura alone.

Scoring follows ``corpus/html/README.md``: Zyte pages (``shingle4``) by 4-gram
shingle precision/recall (macro over pages, F1 from the means); trafilatura's
evaluation pages (``segments``) by substring hits of their ``with`` and
``without`` segments (micro over segments). Speed is pages per second over
the same pages, decompression excluded; both extractors get the raw bytes.
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura

from cyberops.errors import InputError
from cyberops.ingest.html import extract_html
from cyberops.settings import Settings

# An extractor returns named outputs of one run: ours gives the record text
# (headline first) and the body alone, which is what the Zyte truth holds.
Extractor = Callable[[bytes, str | None], dict[str, str]]
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


def run_extraction_benchmark(corpus_html_dir: Path, limit: int | None = None) -> dict[str, Any]:
    """Scores and speed of both extractors; ``limit`` takes the first pages of each source."""
    pages = _load_pages(Path(corpus_html_dir), limit)
    settings = Settings()

    def ours(data: bytes, url: str | None) -> dict[str, str]:
        try:
            page = extract_html(data, url, url or "page", settings)
        except InputError:
            return {"text": "", "body": ""}
        return {"text": page.text, "body": page.raw_text}

    def trafilatura_alone(data: bytes, url: str | None) -> dict[str, str]:
        return {"text": trafilatura.extract(data, url=url, include_comments=False, include_tables=True) or ""}

    return {
        "pages": {
            "shingle4": sum(p["scoring"] == "shingle4" for p in pages),
            "segments": sum(p["scoring"] == "segments" for p in pages),
        },
        "cyberops.extract_html": _measure(ours, pages),
        "trafilatura.extract": _measure(trafilatura_alone, pages),
    }


def _load_pages(directory: Path, limit: int | None) -> list[dict[str, Any]]:
    taken: Counter[str] = Counter()
    pages = []
    with (directory / "ground-truth.jsonl").open(encoding="utf-8") as stream:
        for line in stream:
            truth = json.loads(line)
            if limit is not None and taken[truth["scoring"]] >= limit:
                continue
            taken[truth["scoring"]] += 1
            truth["html"] = gzip.decompress((directory / f"{truth['id']}.html.gz").read_bytes())
            pages.append(truth)
    return pages


def _measure(extract: Extractor, pages: list[dict[str, Any]]) -> dict[str, Any]:
    outputs: list[dict[str, str]] = []
    started = time.perf_counter()
    for page in pages:
        try:
            outputs.append(extract(page["html"], page.get("url")))
        except Exception:  # noqa: BLE001 - a crash scores like an empty output, as upstream does
            outputs.append({})
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "pages_per_second": round(len(pages) / seconds, 1) if seconds else None,
    }
    for variant in sorted({name for output in outputs for name in output}):
        texts = [output.get(variant, "") for output in outputs]
        pairs = list(zip(pages, texts, strict=True))
        result[variant] = {
            "shingle4": _shingle_scores([(p["body"], t) for p, t in pairs if p["scoring"] == "shingle4"]),
            "segments": _segment_scores([(p, t) for p, t in pairs if p["scoring"] == "segments"]),
        }
    return result


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    if 0 < len(tokens) < 4:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def _shingle_scores(pairs: list[tuple[str, str]]) -> dict[str, float]:
    precisions, recalls = [], []
    for truth, prediction in pairs:
        expected, got = _shingles(truth), _shingles(prediction)
        tp = sum((expected & got).values())
        fp = sum((got - expected).values())
        fn = sum((expected - got).values())
        # Per-page precision is left out when the prediction is empty; recall counts 0 (upstream rule).
        if tp + fp:
            precisions.append(tp / (tp + fp))
        recalls.append(tp / (tp + fn) if tp + fn else 1.0)
    return _prf(sum(precisions) / max(1, len(precisions)), sum(recalls) / max(1, len(recalls)))


def _segment_scores(pairs: list[tuple[dict[str, Any], str]]) -> dict[str, float]:
    tp = fn = fp = tn = 0
    for page, output in pairs:
        text = _SPACE.sub(" ", output).strip()
        for segment in page["with"]:
            found = _SPACE.sub(" ", segment).strip() in text
            tp, fn = tp + found, fn + (not found)
        for segment in page["without"]:
            found = _SPACE.sub(" ", segment).strip() in text
            fp, tn = fp + found, tn + (not found)
    total = tp + fn + fp + tn
    scores = {
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        "accuracy": (tp + tn) / total if total else 0.0,
    }
    return {key: round(value, 3) for key, value in scores.items()}


def _prf(precision: float, recall: float) -> dict[str, float]:
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}
