"""The local engine: worker processes on this machine, each holding one analyzer.

The main process only schedules: it cuts each JSONL shard into slices of raw
lines (no JSON is parsed there) and hands a WARC or Parquet shard whole to
one worker, which reads it itself. Shards are local paths or object-store
URIs; both read through :mod:`cyberops.batch.storage`, the parent's JSONL
stream as much as a worker's archive. A worker (spawned, so it inherits no locks
or threads) builds its analyzer once, analyzes a slice and writes its rows to
a *part* file in a private folder of the output directory; the parent gets
back only the part's name. When every slice of a shard is back, a worker
merges its parts into the shard's output, written atomically, and answers
with the shard's counts. No record ever passes through the parent, so with N
workers the parent's share of the CPU stays small and N workers do N times
the work. Slices are small enough (a few hundred documents at most, fewer for
small shards) that two workers stay balanced on uneven shards.

Every worker has its own task queue and its own result pipe, so a worker that
dies cannot wedge a lock the others share. A worker that dies (killed, out of
memory, a crash in native code) is replaced and the slice it held is handed
out again, each document on its own so that one poisonous document cannot
take its neighbours down with it; a document that kills its worker
``max_attempts`` times gets an error row. A whole WARC or Parquet shard whose
worker died is read again by the parent and handed out in slices of
documents. Parts are kept by the parent only once a worker has reported them,
and rows are keyed by ``seq``, so nothing is lost or doubled.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import pyarrow as pa

from cyberops.batch import storage
from cyberops.batch.output import BatchError, ShardSummary, merge_parts, write_part
from cyberops.batch.schema import error_row, rows_to_table
from cyberops.batch.shards import ShardError, is_jsonl, iter_documents, jsonl_lines
from cyberops.batch.work import AnalyzerFactory, analyze_document, default_analyzer, line_document
from cyberops.settings import Settings

ShardDone = Callable[[int, "pa.Table | ShardError | ShardSummary"], None]

_PREFETCH = 1  # tasks queued per worker: slices are short, and a worker holding two at the end leaves the other idle
_SLICES_PER_WORKER = 4  # a shard is cut into at least this many slices per worker, so they end together
_MIN_SLICE_BYTES = 64 * 1024
_MAX_SLICE_BYTES = 4 * 2**20
_GZIP_RATIO = 4  # a guess at how much a gzipped shard grows, to size its slices before reading it
_FAILED_STARTS = 3  # workers in a row that die before they are ready: something is broken, not one document
_JOIN_TIMEOUT = 10.0


@dataclass
class _Task:
    id: int
    shard: int
    kind: str  # "lines" (raw JSONL lines), "docs" (documents), "shard" (a whole shard) or "merge"
    items: list[Any] = field(default_factory=list)  # (seq, line number, bytes) for lines, documents for docs
    attempt: int = 1


@dataclass
class _Shard:
    location: str
    output: Path
    parts: list[Path] = field(default_factory=list)
    outstanding: int = 0
    read: bool = False
    failure: ShardError | None = None
    summary: ShardSummary | None = None


class _Worker:
    def __init__(self, context: Any, settings: Settings, make_analyzer: AnalyzerFactory) -> None:
        self.tasks = context.Queue()
        receive, send = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve, args=(self.tasks, send, settings, make_analyzer), name="cyberops-batch", daemon=True
        )
        self.process.start()
        send.close()
        self.results: Connection = receive
        self.in_flight: deque[_Task] = deque()
        self.ready = False  # the worker said it has built its analyzer
        self.shard: int | None = None  # the shard it takes slices from

    def give(self, task: _Task, payload: tuple[Any, ...]) -> None:
        self.in_flight.append(task)
        self.tasks.put((task.id, task.kind, payload))

    def stop(self) -> None:
        if self.process.is_alive():
            self.tasks.put(None)

    def reap(self) -> None:
        self.process.join(_JOIN_TIMEOUT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        # A dead worker's queue may still hold tasks: don't wait on its feeder thread at exit.
        self.tasks.cancel_join_thread()
        self.tasks.close()
        self.results.close()


def run_local(
    shards: Sequence[str | Path],
    settings: Settings,
    on_shard: ShardDone,
    outputs: list[Path],
    workers: int = 1,
    make_analyzer: AnalyzerFactory = default_analyzer,
    batch_size: int = 256,
    max_attempts: int = 3,
) -> None:
    """Analyze every shard (a path or a URI) in ``workers`` processes into ``outputs``;
    ``on_shard(i, ShardSummary or ShardError)``.

    ``batch_size`` bounds the documents of one slice.
    """
    if not shards:
        return
    locations = [storage.as_location(shard) for shard in shards]
    run = _LocalRun(locations, settings, on_shard, outputs, max(1, workers), make_analyzer, batch_size, max_attempts)
    run.run()


class _LocalRun:
    def __init__(
        self,
        shards: list[str],
        settings: Settings,
        on_shard: ShardDone,
        outputs: list[Path],
        workers: int,
        make_analyzer: AnalyzerFactory,
        batch_size: int,
        max_attempts: int,
    ) -> None:
        self.shards = shards
        self.outputs = outputs
        self.settings = settings
        self.on_shard = on_shard
        self.worker_count = workers
        self.make_analyzer = make_analyzer
        self.batch_size = max(1, batch_size)
        self.max_attempts = max_attempts
        self.states: dict[int, _Shard] = {}
        self.urgent: deque[_Task] = deque()  # merges: they free memory and disk, and report a shard
        self.retries: deque[_Task] = deque()
        self.ids = itertools.count()
        self.unopened = iter(range(len(shards)))
        self.reading: dict[int, Iterator[_Task]] = {}  # shards begun and not read to their end
        self.context = multiprocessing.get_context("spawn")
        self.failed_starts = 0
        self.parts = outputs[0].parent / f".cyberops-parts-{os.getpid()}"

    def run(self) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        workers = [self._spawn() for _ in range(self.worker_count)]
        try:
            while True:
                for index, worker in enumerate(workers):
                    if not worker.process.is_alive() and not worker.in_flight:
                        worker.reap()
                        workers[index] = worker = self._spawn()
                    while len(worker.in_flight) < _PREFETCH:
                        task = self._next_task(worker)
                        if task is None:
                            break
                        worker.give(task, self._payload(task))
                busy = [w for w in workers if w.in_flight]
                if not busy:
                    break
                ready = set(wait([w.results for w in busy] + [w.process.sentinel for w in busy]))
                for index, worker in enumerate(workers):
                    if worker.results in ready or worker.process.sentinel in ready:
                        self._collect(worker)
                        if not worker.process.is_alive() and worker.in_flight:
                            self._check_start(worker)
                            self._lost(worker)
                            worker.reap()
                            workers[index] = self._spawn()
        finally:
            for worker in workers:
                worker.stop()
            for worker in workers:
                worker.reap()
            shutil.rmtree(self.parts, ignore_errors=True)

    def _next_task(self, worker: _Worker) -> _Task | None:
        """Merges first, then retries, then a slice of the worker's own shard, of a shard nobody has begun, or
        (at the end) of another worker's shard. A shard stays with one worker while there are others to begin,
        so each worker meets fewer languages and loads fewer models."""
        while True:
            if self.urgent:
                return self.urgent.popleft()
            if self.retries:
                return self.retries.popleft()
            if worker.shard not in self.reading:
                worker.shard = next(self.unopened, None)
                if worker.shard is None:
                    if not self.reading:
                        return None
                    worker.shard = next(iter(self.reading))  # nothing left to begin: help with another shard
                else:
                    self.reading[worker.shard] = self._tasks(worker.shard)
            task = next(self.reading[worker.shard], None)
            if task is not None:
                return task
            del self.reading[worker.shard]  # read to its end: its merge may be queued now

    def _spawn(self) -> _Worker:
        return _Worker(self.context, self.settings, self.make_analyzer)

    def _new(self, shard: int, kind: str, items: list[Any], attempt: int = 1) -> _Task:
        self.states[shard].outstanding += 1
        return _Task(next(self.ids), shard, kind, items, attempt)

    def _payload(self, task: _Task) -> tuple[Any, ...]:
        state = self.states[task.shard]
        if task.kind == "merge":
            return (state.parts, state.output, state.location)
        part = self.parts / f"{task.shard}-{task.id}.arrow"
        if task.kind == "lines":
            return (state.location, task.items, part)
        if task.kind == "docs":
            return (task.items, part)
        return (state.location, part)

    def _tasks(self, index: int) -> Iterator[_Task]:
        """Slices of a shard; the shard is merged once read and all its slices are back."""
        location = self.shards[index]
        state = self.states[index] = _Shard(location, self.outputs[index])
        if is_jsonl(location):
            try:
                yield from self._line_tasks(index, location)
            except ShardError as error:
                state.failure = error
        else:
            yield self._new(index, "shard", [])  # WARC, Parquet: the worker reads it
        state.read = True
        self._settle(index)

    def _line_tasks(self, index: int, location: str) -> Iterator[_Task]:
        """The raw non-blank lines of a JSONL shard in slices, numbered as ``iter_documents`` numbers them."""
        zipped = location.lower().endswith(".gz")
        expected = storage.size_hint(location) * (_GZIP_RATIO if zipped else 1)
        target = min(_MAX_SLICE_BYTES, max(_MIN_SLICE_BYTES, expected // (self.worker_count * _SLICES_PER_WORKER)))
        size = 0
        chunk: list[tuple[int, int, bytes]] = []
        for seq, number, line in jsonl_lines(location):
            chunk.append((seq, number, line))
            size += len(line)
            if len(chunk) >= self.batch_size or size >= target:
                yield self._new(index, "lines", chunk)
                chunk, size = [], 0
        if chunk:
            yield self._new(index, "lines", chunk)

    def _check_start(self, worker: _Worker) -> None:
        if worker.ready:
            return
        self.failed_starts += 1
        if self.failed_starts >= _FAILED_STARTS:
            raise BatchError(
                f"{self.failed_starts} worker processes in a row died before they were ready "
                f"(last exit code {worker.process.exitcode}); a script that calls run_batch must guard it "
                "with `if __name__ == '__main__':`"
            )

    def _collect(self, worker: _Worker) -> None:
        """Take every result the worker has sent (even one sent just before it died)."""
        while worker.in_flight and worker.results.poll():
            try:
                message = worker.results.recv()
            except (EOFError, OSError):
                return  # the pipe broke with the worker: its tasks are handed out again
            if message[0] == "failed":
                raise BatchError(f"a worker could not build its analyzer: {message[1]}")
            if message[0] == "ready":
                worker.ready = True
                self.failed_starts = 0
                continue
            _, task_id, result = message
            task = worker.in_flight.popleft()
            assert task_id == task.id, "a worker answers its tasks in the order it was given them"
            self._deliver(task, result)

    def _lost(self, worker: _Worker) -> None:
        """The worker died: its first task was running (one more attempt), the others never started."""
        running = worker.in_flight.popleft()
        state = self.states[running.shard]
        attempt = running.attempt + 1
        if running.kind == "merge":
            if attempt > self.max_attempts:
                raise BatchError(f"the worker died {self.max_attempts} times writing the output of {state.location}")
            self.retries.append(self._new(running.shard, "merge", [], attempt))
        elif running.kind == "shard":
            # Read it here, and hand it out in slices of documents: now one document can be told from the others.
            try:
                docs = list(iter_documents(state.location, self.settings))
            except ShardError as error:
                state.failure = error
                docs = []
            for start in range(0, len(docs), self.batch_size):
                self.retries.append(self._new(running.shard, "docs", docs[start : start + self.batch_size], attempt))
        else:
            for item in running.items:
                if attempt > self.max_attempts:
                    self._poisoned(running, item)
                else:
                    self.retries.append(self._new(running.shard, running.kind, [item], attempt))
        state.outstanding -= 1
        self.retries.extend(worker.in_flight)
        worker.in_flight.clear()
        self._settle(running.shard)

    def _poisoned(self, task: _Task, item: Any) -> None:
        """The error row of a document that killed its worker every time, written here as a part of its own."""
        state = self.states[task.shard]
        if task.kind == "lines":
            seq, number, line = item
            doc = line_document(state.location, seq, number, line, self.settings)
        else:
            doc = item
        message = f"the worker died on this document {self.max_attempts} times (killed, out of memory, a crash)"
        part = self.parts / f"{task.shard}-{next(self.ids)}.arrow"
        write_part(rows_to_table([error_row(doc["seq"], doc["source"], message, doc.get("id"))]), part)
        state.parts.append(part)

    def _deliver(self, task: _Task, result: tuple[Any, ...]) -> None:
        state = self.states[task.shard]
        if result[0] == "part":
            state.parts.append(result[1])
        elif result[0] == "broken":
            state.failure = ShardError(result[1], result[2])
        else:
            state.summary = result[1]
        state.outstanding -= 1
        self._settle(task.shard)

    def _settle(self, index: int) -> None:
        state = self.states[index]
        if not state.read or state.outstanding:
            return
        if state.failure is None and state.summary is None:
            self.urgent.append(self._new(index, "merge", []))
            return
        self.on_shard(index, state.failure if state.failure is not None else state.summary)
        for part in state.parts:
            part.unlink(missing_ok=True)
        del self.states[index]


def _serve(tasks: Any, results: Connection, settings: Settings, make_analyzer: AnalyzerFactory) -> None:
    try:
        analyzer = make_analyzer(settings)
    except Exception as error:  # every task would fail the same way: say so once and stop the job
        results.send(("failed", f"{type(error).__name__}: {error}"))
        return
    results.send(("ready",))
    while (task := tasks.get()) is not None:
        task_id, kind, payload = task
        results.send(("done", task_id, _perform(analyzer, kind, payload, settings)))


def _perform(analyzer: Any, kind: str, payload: tuple[Any, ...], settings: Settings) -> tuple[Any, ...]:
    """Do one task in a worker; the answer is small: a part's name, a shard's counts or why it broke."""
    if kind == "merge":
        parts, output, shard = payload
        return ("summary", merge_parts(parts, output, shard))
    part: Path = payload[-1]
    if kind == "lines":
        path, items, _ = payload
        rows = [analyze_document(analyzer, line_document(path, s, n, line, settings), settings) for s, n, line in items]
    elif kind == "docs":
        rows = [analyze_document(analyzer, doc, settings) for doc in payload[0]]
    else:
        try:
            rows = [analyze_document(analyzer, doc, settings) for doc in iter_documents(payload[0], settings)]
        except ShardError as error:
            return ("broken", error.shard, error.message)
    write_part(rows_to_table(rows), part)
    return ("part", part)
