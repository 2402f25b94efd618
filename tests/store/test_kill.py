"""The kill test: `cyberops ingest` of 2,000 documents SIGKILLed at random moments, resumed, and checked exactly.

Most documents are short texts about nothing the analyzer looks for (fast to analyze, and never alike);
a few are one story told about different companies, so near-duplicate links and a dossier are formed
across the kills too. The random moments are seeded: a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_builders import ARTICLE

from cyberops.store import RecordStore
from cyberops.store.schema import correlation_queue, document_signatures, dossier_documents, near_duplicates

DOCUMENTS = 2000
RELEVANT = 12
KILLS = 6
CLI = [sys.executable, "-c", "from cyberops.cli.main import main; main()"]
WORDS = [
    "river",
    "market",
    "council",
    "garden",
    "bakery",
    "festival",
    "weather",
    "harvest",
    "bridge",
    "school",
    "library",
    "concert",
    "museum",
    "train",
    "station",
    "farmer",
    "bicycle",
    "orchard",
    "village",
    "mayor",
    "teacher",
    "football",
    "season",
    "recipe",
    "painting",
    "harbor",
    "island",
    "mountain",
    "forest",
    "autumn",
    "winter",
    "spring",
    "summer",
    "tourist",
    "hotel",
    "choir",
    "marathon",
]


def write_corpus(path: Path, rng: random.Random) -> set[str]:
    """2,000 distinct documents, a few exact repeats under other ids, one malformed line; the ids to expect."""
    lines, expected = [], set()
    for n in range(DOCUMENTS - RELEVANT):
        body = " ".join(rng.choice(WORDS) for _ in range(40))
        lines.append({"id": f"local-{n}", "text": f"Local news {n}\n\nThe {rng.choice(WORDS)} report {n}: {body}."})
    for n in range(RELEVANT):
        lines.append({"id": f"breach-{n}", "text": ARTICLE.format(company=f"Fjordsoft {n}")})
    expected = {line["id"] for line in lines}
    repeats = [dict(line, id=f"repeat-{i}") for i, line in enumerate(rng.sample(lines, 5))]
    rng.shuffle(lines)
    text = [json.dumps(line) for line in lines + repeats]
    text.insert(rng.randrange(len(text)), '{"id": "broken", "text": ')
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return expected


def start(source: Path, db_url: str, env: dict[str, str], *options: str) -> subprocess.Popen:
    # A session of its own, so that SIGKILL reaches worker processes too.
    return subprocess.Popen(
        [*CLI, "ingest", str(source), "--db", db_url, *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def count_rows(store: RecordStore, table: sa.Table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sigkill_at_random_moments_then_resume_stores_everything_exactly_once(
    db_url: str, analyzer, settings, tmp_path: Path
):
    assert analyzer.kb is not None  # compiled once, into the cache the subprocesses share
    rng = random.Random(20261125)
    source = tmp_path / "news.jsonl"
    expected = write_corpus(source, rng)
    env = {**os.environ, "CYBEROPS_CACHE_DIR": str(settings.cache_dir), "CYBEROPS_DB": "sqlite:///nowhere/unused.db"}
    kills = 0
    with RecordStore.open(db_url) as store:
        for attempt in range(KILLS + 3):
            if kills == KILLS:
                break
            # One run in worker processes, so a pool is killed mid-flight too.
            run = start(source, db_url, env, *(["--workers", "2"] if attempt == 2 else []))
            target = store.count() + rng.randint(1, 300)
            while store.count() < target and run.poll() is None:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2))  # a random moment: mid-transaction, between documents, correlating
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
                kills += 1
                assert store.check() == [], f"after kill {kills}"
        assert kills == KILLS, "the runs finished before they could be killed often enough"
        last = start(source, db_url, env)
        assert last.wait(timeout=900) == 0, last.stderr.read().decode()

        stored = set(store.document_ids())
        assert stored == expected  # nothing lost, no repeat stored under its second id, nothing twice
        assert store.check() == []  # PRAGMA integrity_check, the FTS index, no orphan rows, rows agree with records
        assert count_rows(store, document_signatures) == DOCUMENTS
        assert count_rows(store, correlation_queue) == 0
        # The relevant articles are one story told of different companies: all but the first are copies.
        assert count_rows(store, near_duplicates) == RELEVANT - 1
        with store.engine.connect() as conn:
            in_dossiers = set(conn.execute(sa.select(dossier_documents.c.document_id)).scalars())
        assert in_dossiers == {d for d in expected if d.startswith("breach-")}
        [error] = store.errors()
        broken_line = source.read_text("utf-8").splitlines().index('{"id": "broken", "text": ') + 1
        assert (error.source, error.message) == (
            f"{source}:{broken_line}",
            "not valid JSON (Expecting value at column 1)",
        )
