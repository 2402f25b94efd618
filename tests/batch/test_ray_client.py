"""`--address ray://…`: a Ray cluster started apart (`ray start --head`) and reached through Ray Client."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from batch_helpers import expected_table

from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings

RAY = Path(sys.executable).with_name("ray")


def free_port(low: int, high: int) -> int:
    for port in range(low + os.getpid() % 1000, high):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def session_processes(session: int) -> list[int]:
    """Every process of a session: the head started its daemons and workers in the session made for it."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[3]) == session:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def ray_head():
    pytest.importorskip("ray.util.client", reason="the ray extra is not installed")
    # Away from Ray's own ranges: worker processes (10002-19999), the client proxy's servers (23000 on).
    gcs, client = free_port(41000, 45000), free_port(45000, 49000)
    # Token authentication off on both sides: the test must not depend on a token in ~/.ray.
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    head = subprocess.Popen(
        [str(RAY), "start", "--head", f"--port={gcs}", f"--ray-client-server-port={client}", "--num-cpus=2"]
        + ["--include-dashboard=false", "--disable-usage-stats", "--block"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", client), timeout=1).close()
                break
            except OSError:
                if head.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the Ray head did not start")
                time.sleep(0.5)
        yield f"ray://127.0.0.1:{client}", env
    finally:
        for pid in session_processes(head.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        head.wait(timeout=30)
        # Killed, the head leaves its address in /tmp/ray for the next ray.init() to try and join.
        current = Path("/tmp/ray/ray_current_cluster")
        if current.is_file() and current.read_text().strip().endswith(f":{gcs}"):
            current.unlink()


@pytest.mark.ray
def test_a_cluster_reached_through_ray_client_writes_the_local_engines_rows(
    ray_head, tmp_path: Path, shards: list[Path], settings: Settings, loaded: Analyzer
) -> None:
    address, env = ray_head
    # The README's command, in a process of its own: a Ray Client connection changes Ray's global state.
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cyberops")), "batch", str(shards[0]), "--engine", "ray"]
        + ["--workers", "2", "--address", address, "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = pq.read_table(tmp_path / "out" / f"{shards[0].name}.parquet").replace_schema_metadata(None)
    assert written.equals(expected_table(shards[0], settings, loaded).replace_schema_metadata(None))
