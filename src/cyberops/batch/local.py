"""The local engine: worker processes on this machine, each holding one analyzer.

The main process reads the shards and hands out batches of documents; each
worker (spawned, so it inherits no locks or threads) builds its analyzer once
and returns a row per document. Every worker has its own task queue and its
own result pipe, so a worker that dies cannot wedge a lock the others share.

A worker that dies (killed, out of memory, a crash in native code) is
replaced and the batches it held are handed out again, each document on its
own so that one poisonous document cannot take its neighbours down with it;
a document that kills its worker ``max_attempts`` times gets an error row.
Results are kept by batch and rows by ``seq``, so nothing is lost or doubled.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import pyarrow as pa

from cyberops.batch.output import BatchError
from cyberops.batch.schema import error_row, rows_to_table
from cyberops.batch.shards import ShardError, iter_documents
from cyberops.batch.work import AnalyzerFactory, analyze_document, default_analyzer
from cyberops.settings import Settings

ShardDone = Callable[[int, "pa.Table | ShardError"], None]

_PREFETCH = 2  # batches queued per worker, so it never waits for the reader between two batches
_FAILED_STARTS = 3  # workers in a row that die before they are ready: something is broken, not one document
_JOIN_TIMEOUT = 10.0


@dataclass
class _Task:
    id: int
    shard: int
    docs: list[dict[str, Any]]
    attempt: int = 1


@dataclass
class _Shard:
    tables: list[pa.Table] = field(default_factory=list)
    outstanding: int = 0
    read: bool = False
    failure: ShardError | None = None


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

    def give(self, task: _Task) -> None:
        self.in_flight.append(task)
        self.tasks.put((task.id, task.docs))

    def stop(self) -> None:
        if self.process.is_alive():
            self.tasks.put(None)

    def reap(self) -> None:
        self.process.join(_JOIN_TIMEOUT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        # A dead worker's queue may still hold batches: don't wait on its feeder thread at exit.
        self.tasks.cancel_join_thread()
        self.tasks.close()
        self.results.close()


def run_local(
    shards: list[Path],
    settings: Settings,
    on_shard: ShardDone,
    workers: int = 1,
    make_analyzer: AnalyzerFactory = default_analyzer,
    batch_size: int = 32,
    max_attempts: int = 3,
) -> None:
    """Analyze every shard in ``workers`` processes; ``on_shard(i, table or ShardError)`` as each completes."""
    _LocalRun(shards, settings, on_shard, max(1, workers), make_analyzer, batch_size, max_attempts).run()


class _LocalRun:
    def __init__(
        self,
        shards: list[Path],
        settings: Settings,
        on_shard: ShardDone,
        workers: int,
        make_analyzer: AnalyzerFactory,
        batch_size: int,
        max_attempts: int,
    ) -> None:
        self.shards = shards
        self.settings = settings
        self.on_shard = on_shard
        self.worker_count = workers
        self.make_analyzer = make_analyzer
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.states: dict[int, _Shard] = {}
        self.retries: deque[_Task] = deque()
        self.ids = itertools.count()
        self.context = multiprocessing.get_context("spawn")
        self.failed_starts = 0

    def run(self) -> None:
        pending = self._tasks()
        workers = [self._spawn() for _ in range(self.worker_count)]
        try:
            exhausted = False
            while True:
                for index, worker in enumerate(workers):
                    if not worker.process.is_alive() and not worker.in_flight:
                        worker.reap()
                        workers[index] = worker = self._spawn()
                    while len(worker.in_flight) < _PREFETCH:
                        task = self.retries.popleft() if self.retries else None
                        if task is None and not exhausted:
                            task = next(pending, None)
                            exhausted = task is None
                        if task is None:
                            break
                        worker.give(task)
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

    def _spawn(self) -> _Worker:
        return _Worker(self.context, self.settings, self.make_analyzer)

    def _tasks(self) -> Iterator[_Task]:
        """Batches of documents, shard after shard; a shard is settled once read and all its batches are back."""
        for index, path in enumerate(self.shards):
            state = self.states[index] = _Shard()
            try:
                docs = iter_documents(path, self.settings)
                while chunk := list(itertools.islice(docs, self.batch_size)):
                    state.outstanding += 1
                    yield _Task(next(self.ids), index, chunk)
            except ShardError as error:
                state.failure = error
            state.read = True
            self._settle(index)

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
                return  # the pipe broke with the worker: its batches are handed out again
            if message[0] == "failed":
                raise BatchError(f"a worker could not build its analyzer: {message[1]}")
            if message[0] == "ready":
                worker.ready = True
                self.failed_starts = 0
                continue
            _, task_id, rows = message
            task = worker.in_flight.popleft()
            assert task_id == task.id, "a worker answers its batches in the order it was given them"
            self._deliver(task, rows)

    def _lost(self, worker: _Worker) -> None:
        """The worker died: its first batch was running (one more attempt), the others never started."""
        running = worker.in_flight.popleft()
        for doc in running.docs:
            single = _Task(next(self.ids), running.shard, [doc], running.attempt + 1)
            if single.attempt > self.max_attempts:
                message = f"the worker died on this document {self.max_attempts} times (killed, out of memory, a crash)"
                self.states[running.shard].outstanding += 1
                self._deliver(single, [error_row(doc["seq"], doc["source"], message, doc.get("id"))])
            else:
                self.states[running.shard].outstanding += 1
                self.retries.append(single)
        self.states[running.shard].outstanding -= 1
        self.retries.extend(worker.in_flight)
        worker.in_flight.clear()
        self._settle(running.shard)

    def _deliver(self, task: _Task, rows: list[dict[str, Any]]) -> None:
        state = self.states[task.shard]
        state.tables.append(rows_to_table(rows))
        state.outstanding -= 1
        self._settle(task.shard)

    def _settle(self, index: int) -> None:
        state = self.states[index]
        if not state.read or state.outstanding:
            return
        if state.failure is not None:
            self.on_shard(index, state.failure)
        else:
            self.on_shard(index, merge_tables(state.tables))
        del self.states[index]


def merge_tables(tables: list[pa.Table]) -> pa.Table:
    """One shard's tables as one, in ``seq`` order."""
    if not tables:
        return rows_to_table([])
    return pa.concat_tables(tables).sort_by("seq").combine_chunks()


def _serve(tasks: Any, results: Connection, settings: Settings, make_analyzer: AnalyzerFactory) -> None:
    try:
        analyzer = make_analyzer(settings)
    except Exception as error:  # every batch would fail the same way: say so once and stop the job
        results.send(("failed", f"{type(error).__name__}: {error}"))
        return
    results.send(("ready",))
    while (task := tasks.get()) is not None:
        task_id, docs = task
        results.send(("done", task_id, [analyze_document(analyzer, doc, settings) for doc in docs]))
