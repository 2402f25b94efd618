"""Record shards on disk: one output file per input shard, written atomically, and the job summary.

Inputs are local paths or object-store URIs (:mod:`cyberops.batch.storage`);
outputs are always in a local folder, named after the input's base name.
A shard's records are written to a temporary file in the output folder and
renamed into place only when complete, so an output file either holds every
document of its input or does not exist. That makes a job resumable: a
re-run skips each input whose output exists and was made from the same input
(same size and modification time, local file or object, kept in the Parquet
metadata).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cyberops.batch import storage
from cyberops.batch.shards import SHARD_SUFFIXES
from cyberops.errors import CyberopsError

SUMMARY_NAME = "batch-summary.json"
_META = "cyberops."


class BatchError(CyberopsError):
    """The job cannot start: no shards, clashing output names, an engine that is not installed."""


@dataclass
class ShardSummary:
    """What became of one input shard."""

    input: str
    output: str
    status: str  # "written", "skipped" (done by an earlier run) or "failed" (corrupt: nothing written)
    documents: int = 0
    relevant: int = 0
    errors: int = 0
    message: str | None = None


@dataclass
class BatchSummary:
    engine: str
    workers: int
    out: str
    seconds: float = 0.0
    shards: list[ShardSummary] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(s.documents for s in self.shards)

    @property
    def relevant(self) -> int:
        return sum(s.relevant for s in self.shards)

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.shards)

    @property
    def failed_shards(self) -> list[ShardSummary]:
        return [s for s in self.shards if s.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(documents=self.documents, relevant=self.relevant, errors=self.errors)
        return data


def find_shards(inputs: list[str | Path]) -> list[str]:
    """The shard locations named by ``inputs``, in the order given: a file or object, a folder or prefix (the
    shards under it, sorted), or a pattern (``dump/*.jsonl.gz``, ``s3://bucket/dump/*.jsonl.gz``).

    A pattern that matches no shard, or a store that cannot be listed, stops the job: a typo would otherwise
    leave part of an archive out silently. A named file that does not exist fails when read, like a corrupt one.
    """
    found: list[str] = []
    for item in inputs:
        try:
            locations = storage.expand(item, SHARD_SUFFIXES)
        except (OSError, ValueError) as error:
            raise BatchError(f"cannot list {item}: {error}") from None
        if not locations and storage.is_pattern(item):
            raise BatchError(f"no shard matches {item}; shards are named {', '.join(SHARD_SUFFIXES)}")
        found.extend(locations)
    if not found:
        raise BatchError(f"no shards found; give files or folders of {', '.join(SHARD_SUFFIXES)}")
    return found


def output_paths(shards: list[str], out: Path) -> list[Path]:
    """``out/<input name>.parquet`` for each shard; two inputs of the same name would overwrite each other."""
    paths = [out / f"{storage.base_name(shard)}.parquet" for shard in shards]
    seen: dict[Path, str] = {}
    for shard, path in zip(shards, paths, strict=True):
        if path in seen:
            raise BatchError(f"{seen[path]} and {shard} would both write {path.name}; rename one or run them apart")
        seen[path] = shard
    return paths


def finished(output: Path, shard: str | Path) -> ShardSummary | None:
    """The summary of an output written by an earlier run from this same input, else None."""
    if not output.is_file():
        return None
    try:
        meta = pq.read_schema(output).metadata or {}
    except (OSError, pa.ArrowException):
        return None  # not ours, or damaged by something else: made again
    values = {key.decode(): value.decode() for key, value in meta.items() if key.startswith(_META.encode())}
    try:
        current = storage.signature(storage.as_location(shard))
    except OSError:
        return None  # gone, or its store does not answer: the read says which
    if values.get(_META + "input_signature") != current:
        return None
    return ShardSummary(
        input=str(shard),
        output=str(output),
        status="skipped",
        documents=int(values.get(_META + "documents", 0)),
        relevant=int(values.get(_META + "relevant", 0)),
        errors=int(values.get(_META + "errors", 0)),
    )


def write_shard(table: pa.Table, output: Path, shard: str | Path) -> ShardSummary:
    """Write a shard's records atomically (temporary file, then rename) and count them."""
    summary = ShardSummary(
        input=str(shard),
        output=str(output),
        status="written",
        documents=table.num_rows,
        relevant=int(pc.sum(pc.fill_null(table["relevant"], False)).as_py() or 0),
        errors=table.num_rows - table["error"].null_count,
    )
    meta = dict(table.schema.metadata or {})
    meta.update(
        {
            (_META + "input").encode(): str(shard).encode(),
            (_META + "input_signature").encode(): storage.signature(storage.as_location(shard)).encode(),
            (_META + "documents").encode(): str(summary.documents).encode(),
            (_META + "relevant").encode(): str(summary.relevant).encode(),
            (_META + "errors").encode(): str(summary.errors).encode(),
        }
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table.replace_schema_metadata(meta), temporary, compression="zstd")
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    return summary


def write_summary(summary: BatchSummary, out: Path) -> Path:
    path = out / SUMMARY_NAME
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


# -- parts: what a local worker wrote for a slice of a shard, merged into the shard's output ----------


def write_part(table: pa.Table, path: Path) -> None:
    """A slice of a shard's rows as an uncompressed Arrow file (cheap to write and read back)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(temporary, path)


def merge_parts(parts: list[Path], output: Path, shard: str) -> ShardSummary:
    """Write a shard's output from its parts (in ``seq`` order), atomically, and count it."""
    from cyberops.batch.schema import rows_to_table

    tables = []
    for part in parts:
        with pa.OSFile(str(part), "rb") as source:  # read into memory: the part is deleted after
            tables.append(pa.ipc.open_file(source).read_all())
    table = pa.concat_tables(tables).sort_by("seq").combine_chunks() if tables else rows_to_table([])
    return write_shard(table, output, shard)
