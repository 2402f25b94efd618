"""Helpers for eval tests: small gold documents built in code, and the dev corpus when present."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from cyberops.eval.gold import GoldDocument, load_gold

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    return Path(os.environ.get("CYBEROPS_CORPUS") or REPO_ROOT.parent / "shared" / "corpus")


@pytest.fixture
def dev_gold_paths() -> list[Path]:
    paths = sorted((corpus_dir() / "dev").glob("*.jsonl"))
    if not paths:
        pytest.skip(f"dev corpus not found under {corpus_dir()} (set CYBEROPS_CORPUS)")
    return paths


@pytest.fixture
def make_gold(tmp_path: Path):
    """Write gold lines to a JSONL file and load them back, as ``load_gold`` would."""

    def make(*documents: dict[str, Any], name: str = "gold.jsonl") -> list[GoldDocument]:
        path = tmp_path / name
        lines = [json.dumps(d, ensure_ascii=False) for d in documents]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return load_gold([path])

    return make
