"""Throughput of ``cyberops batch``: local vs Ray, 1 and 2 workers, on news and on relevant articles.

Not a test: run it by hand on an otherwise quiet machine and copy the figures
into docs/scale-out.md::

    .venv/bin/python benchmarks/batch_throughput.py [--corpus DIR] [--copies 5] [--repeat 3] [--json out.json]

Inputs are written as JSONL shards into a temporary folder (the corpus stays
read-only): ``news`` is the whole background news corpus, one shard per
language (mostly irrelevant: the cheap path); ``relevant`` is every article
of the dev gold files marked relevant plus CASIE dev (the full analysis).
With ``--copies N`` (N > 1), ``news-xN`` and ``relevant-xN`` are those
suites written N times into each shard, with distinct ids: jobs of 8 k or
160 documents are short enough for start-up to weigh, and the
``marginal_docs_per_s`` of a ``-xN`` run (the documents the copies add over
the time they add, against the plain run) is the steady rate with every
fixed cost left out.

For each run it reports wall-clock documents per second, the CPU seconds
used by this process and every process it started (workers, Ray's raylet,
GCS and actors, read from /proc every 0.2 s), documents per CPU-second (the
figure that survives a busy machine), the peak resident memory (VmHWM) of
each worker process, the CPU seconds and the number of processes started per
kind of process, and the load average around the run. A first run on a tiny
input measures the fixed cost (start-up, model loading) of each configuration
so that the steady rate can be told apart from it: two shards of an
irrelevant article and a relevant English one each, so that every process of
a 2-worker configuration (readers, screening and parsing actors, each with
the English model) starts in it. Before each run, the previous run's Ray
actors are let go.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cyberops.batch import run_batch
from cyberops.settings import Settings

_INPUT_FIELDS = ("id", "text", "html", "url", "language", "title", "published", "outlet")
_TICK = os.sysconf("SC_CLK_TCK")


# -- inputs -------------------------------------------------------------------------------------


def write_inputs(corpus: Path, folder: Path, copies: int = 1) -> dict[str, Path]:
    news = [(source, source.name, _everything) for source in sorted((corpus / "news").glob("*.jsonl"))]
    relevant = [(source, f"dev-{source.name}", _relevant) for source in sorted((corpus / "dev").glob("*.jsonl"))]
    relevant.append((corpus / "casie" / "dev.jsonl", "casie-dev.jsonl", _everything))
    plan = {"news": (news, 1), "relevant": (relevant, 1)}
    if copies > 1:
        plan.update({f"news-x{copies}": (news, copies), f"relevant-x{copies}": (relevant, copies)})
    suites = {}
    for name, (sources, times) in plan.items():
        suites[name] = folder / name
        suites[name].mkdir(parents=True)
        for source, target, keep in sources:
            _copy(source, suites[name] / target, keep, times)
    suites["tiny"] = folder / "tiny"
    suites["tiny"].mkdir()
    irrelevant = (suites["news"] / news[0][1]).read_text("utf-8").splitlines()
    found = (suites["relevant"] / "dev-en.jsonl").read_text("utf-8").splitlines()
    for index in range(2):
        (suites["tiny"] / f"{index}.jsonl").write_text(f"{irrelevant[index]}\n{found[index]}\n", "utf-8")
    return suites


def _everything(doc: dict[str, Any]) -> bool:
    return True


def _relevant(doc: dict[str, Any]) -> bool:
    return bool(doc.get("relevant"))


def _copy(source: Path, target: Path, keep, copies: int = 1) -> None:
    with target.open("w", encoding="utf-8") as out:
        for copy in range(copies):
            with source.open(encoding="utf-8") as lines:
                for line in lines:
                    doc = json.loads(line)
                    if keep(doc):
                        if copy:
                            doc["id"] = f"{doc['id']}#{copy}"
                        out.write(json.dumps({k: doc[k] for k in _INPUT_FIELDS if k in doc}, ensure_ascii=False) + "\n")


def count_docs(folder: Path) -> int:
    return sum(1 for path in folder.glob("*.jsonl") for line in path.open(encoding="utf-8") if line.strip())


# -- /proc sampling -------------------------------------------------------------------------------


class ProcessSampler:
    """CPU seconds and peak RSS of this process and all its descendants, sampled from /proc."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.cpu: dict[int, float] = {}
        self.peak: dict[int, int] = {}
        self.names: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._baseline = self.own_baseline = self._own_cpu()
        # Processes already running (Ray's daemons) count from now, not from their start.
        self._sample()
        self._before = dict(self.cpu)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()

    def _own_cpu(self) -> float:
        times = os.times()
        return times.user + times.system

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def _sample(self) -> None:
        for pid in _descendants(os.getpid()):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                status = Path(f"/proc/{pid}/status").read_text()
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak[pid] = max(self.peak.get(pid, 0), int(line.split()[1]) * 1024)
            if cmdline.strip():  # a process that has exited (a zombie) shows an empty command line
                self.names[pid] = cmdline[:120]

    def cpu_seconds(self) -> float:
        spent = sum(cpu - self._before.get(pid, 0.0) for pid, cpu in self.cpu.items())
        return spent + self._own_cpu() - self._baseline

    def _kind(self, pid: int) -> str:
        name = self.names.get(pid, "?")
        if "multiprocessing.spawn" in name:
            return "local-worker"
        return name.split()[0].rsplit("/", 1)[-1] if name.strip() else "?"

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds per kind of process (the first word of its command line), to see where time goes."""
        kinds: dict[str, float] = {"driver": self._own_cpu() - self._baseline}
        for pid, cpu in self.cpu.items():
            kind = self._kind(pid)
            kinds[kind] = kinds.get(kind, 0.0) + cpu - self._before.get(pid, 0.0)
        return {kind: round(cpu, 1) for kind, cpu in sorted(kinds.items(), key=lambda item: -item[1]) if cpu >= 0.1}

    def started_by_kind(self) -> dict[str, int]:
        """Processes started during the run, per kind: each Ray worker process pays for its imports."""
        kinds: dict[str, int] = {}
        for pid in self.cpu:
            if pid not in self._before:
                kinds[self._kind(pid)] = kinds.get(self._kind(pid), 0) + 1
        return dict(sorted(kinds.items()))

    def worker_peaks_mb(self) -> list[float]:
        workers = [
            pid for pid, name in self.names.items() if "multiprocessing.spawn" in name or "ray::MapWorker" in name
        ]
        return sorted(round(self.peak[pid] / 2**20) for pid in workers if pid in self.peak)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            found.append(child)
            todo.append(child)
    return found


# -- runs -------------------------------------------------------------------------------------------


def wait_for_actors_to_exit(timeout: float = 20.0) -> None:
    """Ray ends a job's actors after the job returns: let the previous run's go before the next run starts."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        names = []
        for pid in _descendants(os.getpid()):
            try:
                names.append(Path(f"/proc/{pid}/cmdline").read_bytes())
            except OSError:
                continue
        if not any(b"ray::MapWorker" in name for name in names):
            return
        time.sleep(0.2)


def measure(engine: str, workers: int, shards: Path, out: Path, settings: Settings) -> dict[str, Any]:
    shutil.rmtree(out, ignore_errors=True)
    wait_for_actors_to_exit()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ProcessSampler() as sampler:
        summary = run_batch([shards], out, settings, engine=engine, workers=workers)
    seconds = time.perf_counter() - started
    cpu = sampler.cpu_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    if engine == "local":
        # The local workers are reaped by the run, so the kernel's own account of their CPU is exact.
        own = os.times()
        reaped = children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime
        cpu = max(cpu, reaped + own.user + own.system - sampler.own_baseline)
    return {
        "engine": engine,
        "workers": workers,
        "documents": summary.documents,
        "relevant": summary.relevant,
        "errors": summary.errors,
        "seconds": round(seconds, 2),
        "docs_per_s": round(summary.documents / seconds, 1),
        "cpu_seconds": round(cpu, 2),
        "docs_per_cpu_s": round(summary.documents / cpu, 1) if cpu else None,
        "worker_peak_rss_mb": sampler.worker_peaks_mb(),
        "cpu_by_process": sampler.cpu_by_kind(),
        "processes_started": sampler.started_by_kind(),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def measure_median(repeat: int, *args: Any) -> dict[str, Any]:
    """The run of median wall-clock time of ``repeat`` runs; ``seconds_runs`` lists them all. Runs of one
    configuration differ by up to 15 % here from one minute to the next, more than most changes measured."""
    runs = sorted((measure(*args) for _ in range(max(1, repeat))), key=lambda run: run["seconds"])
    median = runs[(len(runs) - 1) // 2]
    median["seconds_runs"] = [run["seconds"] for run in runs]
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--suites", default="news,relevant")
    parser.add_argument("--copies", type=int, default=1, help="Also run news-xN: the news corpus N times over.")
    parser.add_argument(
        "--repeat", type=int, default=1, help="Run each configuration N times and keep the run of median time."
    )
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()
    engines = args.engines.split(",")
    counts = [int(n) for n in args.workers.split(",")]
    settings = Settings()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cyberops-batch-bench-") as tmp:
        inputs = write_inputs(args.corpus, Path(tmp) / "in", args.copies)
        suites = args.suites.split(",")
        suites += [f"{suite}-x{args.copies}" for suite in suites if args.copies > 1]
        for engine in engines:
            if engine == "ray":
                import ray

                # One cluster for every Ray run, as on a real cluster: its start-up is not a job's cost.
                ray.init(
                    address="local",
                    num_cpus=max(counts),
                    include_dashboard=False,
                    logging_level="ERROR",
                    log_to_driver=False,
                )
            for workers in counts:
                fixed = measure_median(args.repeat, engine, workers, inputs["tiny"], Path(tmp) / "out", settings)
                plain: dict[str, Any] = {}
                for suite in suites:
                    row = measure_median(args.repeat, engine, workers, inputs[suite], Path(tmp) / "out", settings)
                    row.update(suite=suite, fixed_seconds=fixed["seconds"], fixed_cpu_seconds=fixed["cpu_seconds"])
                    steady = row["seconds"] - fixed["seconds"]
                    row["steady_docs_per_s"] = round(row["documents"] / steady, 1) if steady > 0 else None
                    steady_cpu = row["cpu_seconds"] - fixed["cpu_seconds"]
                    row["steady_docs_per_cpu_s"] = round(row["documents"] / steady_cpu, 1) if steady_cpu > 0 else None
                    plain[suite] = row
                    base = plain.get(suite.split("-x")[0]) if "-x" in suite else None
                    if base:
                        added = row["documents"] - base["documents"]
                        row["marginal_docs_per_s"] = round(added / (row["seconds"] - base["seconds"]), 1)
                        row["marginal_docs_per_cpu_s"] = round(added / (row["cpu_seconds"] - base["cpu_seconds"]), 1)
                    results.append(row)
                    print(json.dumps(row), flush=True)
            if engine == "ray":
                ray.shutdown()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    sys.exit(main())
