"""Resumability: `cyberops ingest` killed with SIGKILL mid-run, then run again, stores every document exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_builders import write_articles

from cyberops.ingest.identity import content_id
from cyberops.ingest.sources import article_from_text
from cyberops.store import RecordStore

COUNT = 80
CLI = [sys.executable, "-c", "from cyberops.cli.main import main; main()"]


def start_ingest(folder: Path, db_url: str, env: dict[str, str], *options: str) -> subprocess.Popen:
    # A session of its own, so that SIGKILL reaches the worker processes too.
    return subprocess.Popen(
        [*CLI, "ingest", str(folder), "--db", db_url, *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def kill_when_stored(process: subprocess.Popen, store: RecordStore, at_least: int, timeout: float = 600) -> int:
    """SIGKILL the run once ``at_least`` documents are stored; the count the killed run left."""
    deadline = time.monotonic() + timeout
    while store.count() < at_least:
        if process.poll() is not None:
            return store.count()  # finished before it could be killed: the caller checks the exit
        assert time.monotonic() < deadline, process.stderr.read().decode() if process.stderr else ""
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return store.count()


def test_killed_runs_resume_with_every_document_once(db_url: str, analyzer, settings, tmp_path: Path):
    assert analyzer.kb is not None  # compiled once, into the cache the subprocesses share
    paths = write_articles(tmp_path / "in", COUNT)
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    env = {**os.environ, "CYBEROPS_CACHE_DIR": str(settings.cache_dir), "CYBEROPS_DB": "sqlite:///nowhere/unused.db"}
    with RecordStore.open(db_url) as store:
        first = start_ingest(tmp_path / "in", db_url, env)
        after_first = kill_when_stored(first, store, at_least=5)
        assert first.returncode == -signal.SIGKILL and after_first < COUNT
        second = start_ingest(tmp_path / "in", db_url, env, "--workers", "2")
        kill_when_stored(second, store, at_least=after_first + 5)
        third = start_ingest(tmp_path / "in", db_url, env)
        assert third.wait(timeout=900) == 0, third.stderr.read().decode()

        assert store.count() == COUNT
        expected = {content_id(article_from_text(p.read_text("utf-8"), str(p)).text) for p in paths}
        assert {store.find(content_hash=h) is not None for h in expected} == {True}
        assert store.check() == []  # no orphan rows, rows agree with records, engine integrity check passes
        assert [Path(e.source).name for e in store.errors()] == ["empty.txt"]
        for hit in store.search("Nordsoft", limit=COUNT).hits:
            assert store.get(hit.id).relevant
