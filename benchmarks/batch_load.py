"""Batch the whole shared corpus, then bulk-load the records into PostgreSQL: records/s and database size.

Not a test: run it by hand on an otherwise quiet machine and copy the figures
into docs/scale-out.md::

    .venv/bin/python benchmarks/batch_load.py [--corpus ../shared/corpus] [--workers 2] [--db postgresql://…]

The shards are the JSONL files of ``news/``, ``dev/`` and ``casie/``, linked
under distinct names into a temporary folder (two inputs named ``en.jsonl``
would write the same record shard; the corpus stays read-only). Both steps run
as subprocesses, exactly as a user types them: ``cyberops batch --engine
local`` into a temporary folder, then ``cyberops load`` twice into a new
database of a TemporaryPostgres server (or ``--db``); the second load must
store nothing. The load's time includes the dossier update over the new
documents.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from store_ingest import database, measure  # this folder: the script's own, first on sys.path

_SUBFOLDERS = ("news", "dev", "casie")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", help="PostgreSQL URL of an empty database; default: a TemporaryPostgres one")
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    args = parser.parse_args()
    cyberops = str(Path(sys.executable).parent / "cyberops")
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cyberops-batch-load-") as scratch:
        shards = link_shards(args.corpus, Path(scratch) / "in")
        records = Path(scratch) / "records"
        figures["shards"] = len(shards)
        batch = [cyberops, "batch", *map(str, shards), "--workers", str(args.workers), "--out", str(records)]
        figures["batch"] = timed(batch)
        summary = json.loads((records / "batch-summary.json").read_text("utf-8"))
        figures["documents"] = summary.get("documents")
        figures["relevant"] = summary.get("relevant")
        with database("postgresql", args.db, Path(scratch)) as url:
            for run in ("load", "load_again"):
                figures[run] = timed([cyberops, "load", str(records), "--db", url])
                figures[run].update(zip(("stored", "error_rows", "database_bytes"), measure(url), strict=True))
    first = figures["load"]
    first["records_per_s"] = round(figures["documents"] / first["seconds"], 1)
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


def link_shards(corpus: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    links = []
    for sub in _SUBFOLDERS:
        for source in sorted((corpus / sub).glob("*.jsonl")):
            link = folder / f"{sub}-{source.name}"
            link.symlink_to(source.resolve())
            links.append(link)
    return links


def timed(command: list[str]) -> dict[str, Any]:
    print(" ".join(command), file=sys.stderr)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    raise SystemExit(main())
