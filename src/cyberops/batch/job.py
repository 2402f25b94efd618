"""A batch job: input shards → an engine → Parquet record shards and a summary.

Input shards are local files or objects in a store (``s3://…``, read
through :mod:`cyberops.batch.storage`); the output folder is local.
The job decides what is left to do (shards whose output is missing or was
made from another version of the input), runs one engine over it, writes
each shard's output as the engine completes it (the local engine's workers
write their shards themselves, the same way), and writes the summary
(``batch-summary.json``) last. Both engines take the same arguments and
give the same rows, so the choice of engine changes speed, not output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa

from cyberops.batch import storage
from cyberops.batch.output import (
    BatchError,
    BatchSummary,
    ShardSummary,
    find_shards,
    finished,
    output_paths,
    write_shard,
    write_summary,
)
from cyberops.batch.shards import ShardError
from cyberops.batch.work import AnalyzerFactory, default_analyzer
from cyberops.settings import Settings

ENGINES = ("local", "ray")


def run_batch(
    inputs: Sequence[str | Path],
    out: str | Path,
    settings: Settings | None = None,
    *,
    engine: str = "local",
    workers: int = 1,
    address: str | None = None,
    make_analyzer: AnalyzerFactory = default_analyzer,
    on_shard: Callable[[ShardSummary], None] | None = None,
) -> BatchSummary:
    """Analyze every document of the input shards into ``out/<shard name>.parquet``; skip shards already done.

    ``inputs`` are files, folders or patterns, local or in an object store (``s3://bucket/dump/*.jsonl.gz``);
    ``out`` is a local folder.

    ``engine`` is ``local`` (processes on this machine) or ``ray`` (Ray Data:
    a local cluster, or the one at ``address``). A corrupt or missing shard is
    reported in the summary with status ``failed`` and nothing is written for
    it; a pattern that matches nothing or a store that cannot be listed is a
    :class:`BatchError` before anything runs.
    """
    if engine not in ENGINES:
        raise BatchError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if storage.is_uri(out):
        raise BatchError(
            f"the output ({out}) must be a local folder: object stores are read, not written "
            "(write locally, then copy the folder to the store)"
        )
    settings = settings or Settings()
    out = Path(out)
    shards = find_shards(list(inputs))
    outputs = output_paths(shards, out)
    summary = BatchSummary(engine=engine, workers=workers, out=str(out))
    started = time.monotonic()
    report = on_shard or (lambda shard: None)
    results: dict[int, ShardSummary] = {}
    todo: list[int] = []
    for index, (shard, output) in enumerate(zip(shards, outputs, strict=True)):
        done = finished(output, shard)
        if done is None:
            todo.append(index)
        else:
            results[index] = done
            report(done)

    def complete(position: int, result: pa.Table | ShardError | ShardSummary) -> None:
        index = todo[position]
        if isinstance(result, ShardSummary):  # the engine wrote the output itself (the local engine's workers)
            shard_summary = result
        elif isinstance(result, ShardError):
            shard_summary = ShardSummary(str(shards[index]), str(outputs[index]), "failed", message=str(result))
        else:
            shard_summary = write_shard(result, outputs[index], shards[index])
        results[index] = shard_summary
        report(shard_summary)

    if todo:
        out.mkdir(parents=True, exist_ok=True)
        pending = [shards[index] for index in todo]
        if engine == "local":
            from cyberops.batch.local import run_local

            run_local(
                pending,
                settings,
                complete,
                [outputs[index] for index in todo],
                workers=workers,
                make_analyzer=make_analyzer,
            )
        else:
            from cyberops.batch.ray_engine import run_ray

            run_ray(pending, settings, complete, workers=workers, address=address, make_analyzer=make_analyzer)
    summary.shards = [results[index] for index in sorted(results)]
    summary.seconds = round(time.monotonic() - started, 3)
    out.mkdir(parents=True, exist_ok=True)
    write_summary(summary, out)
    return summary
