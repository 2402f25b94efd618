"""Ingest the whole shared corpus with ``cyberops ingest --workers 2``: documents/s and database size.

Not a test: run it by hand and copy the figures into docs/store-figures.md::

    .venv/bin/python benchmarks/store_ingest.py --backend sqlite --db sqlite:////tmp/bench/corpus.db
    .venv/bin/python benchmarks/store_ingest.py --backend postgresql      # a TemporaryPostgres server

The inputs are the corpus folder (dev, CASIE, background news, and the HTML
set's ``ground-truth.jsonl``) plus the HTML pages of ``corpus/html/*.html.gz``
decompressed into a temporary folder: ``cyberops ingest`` reads ``.html`` but
not ``.html.gz`` (the corpus stays read-only, nothing is copied into the repo).
The command runs as a subprocess, exactly as a user types it; the script
times it and reads the counts and the size from the database afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cyberops.store.engine import create_engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--db", help="database URL; default: a new SQLite file, or a TemporaryPostgres database")
    parser.add_argument("--corpus", default="/work/shared/corpus")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch, database(args.backend, args.db, Path(scratch)) as url:
        html = Path(scratch) / "html"
        html.mkdir()
        for page in sorted(Path(args.corpus, "html").glob("*.html.gz")):
            (html / page.name.removesuffix(".gz")).write_bytes(gzip.decompress(page.read_bytes()))
        command = [
            str(Path(sys.executable).parent / "cyberops"),
            "ingest",
            "--workers",
            str(args.workers),
            "--db",
            url,
            args.corpus,
            str(html),
        ]
        print(" ".join(command), file=sys.stderr)
        load_before = os.getloadavg()
        started = time.perf_counter()
        subprocess.run(command, check=True)
        elapsed = time.perf_counter() - started
        load_after = os.getloadavg()
        stored, errors, size = measure(url)
    print(
        f"{args.backend}: {stored:,} documents stored, {errors:,} error rows, in {elapsed:,.0f} s "
        f"= {stored / elapsed:.1f} documents/s; database {size / 1e6:,.0f} MB; "
        f"load average {load_before[0]:.1f} → {load_after[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return 0


@contextlib.contextmanager
def database(backend: str, url: str | None, scratch: Path) -> Iterator[str]:
    """``url`` if given; else a new database of a TemporaryPostgres server, or a new SQLite file in ``scratch``."""
    if url:
        yield url
    elif backend == "postgresql":
        from cyberops.store.testing import TemporaryPostgres

        with TemporaryPostgres() as server:
            yield server.create_database("corpus")
    else:
        yield f"sqlite:///{scratch / 'corpus.db'}"


def measure(url: str) -> tuple[int, int, int]:
    """Documents stored, error rows and the database's size in bytes."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM documents").scalar_one()
            errors = conn.exec_driver_sql("SELECT count(*) FROM ingestion_errors").scalar_one()
            if conn.dialect.name == "postgresql":
                size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
            else:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                size = Path(engine.url.database).stat().st_size
    finally:
        engine.dispose()
    return stored, errors, size


if __name__ == "__main__":
    raise SystemExit(main())
