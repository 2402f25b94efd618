"""Record shards on disk: one output file per input shard, written atomically, and the job summary.

A shard's records are written to a temporary file in the output folder and
renamed into place only when complete, so an output file either holds every
document of its input or does not exist. That makes a job resumable: a
re-run skips each input whose output exists and was made from the same input
file (same size and modification time, kept in the Parquet metadata).
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

from cyberops.batch.shards import SHARD_SUFFIXES, is_shard
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


def find_shards(inputs: list[str | Path]) -> list[Path]:
    """The shard files named by ``inputs``; a folder stands for the shards inside it, in sorted order."""
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and is_shard(p)))
        else:
            found.append(path)
    if not found:
        raise BatchError(f"no shards found; give files or folders of {', '.join(SHARD_SUFFIXES)}")
    return found


def output_paths(shards: list[Path], out: Path) -> list[Path]:
    """``out/<input name>.parquet`` for each shard; two inputs of the same name would overwrite each other."""
    paths = [out / f"{shard.name}.parquet" for shard in shards]
    seen: dict[Path, Path] = {}
    for shard, path in zip(shards, paths, strict=True):
        if path in seen:
            raise BatchError(f"{seen[path]} and {shard} would both write {path.name}; rename one or run them apart")
        seen[path] = shard
    return paths


def finished(output: Path, shard: Path) -> ShardSummary | None:
    """The summary of an output written by an earlier run from this same input, else None."""
    if not output.is_file():
        return None
    try:
        meta = pq.read_schema(output).metadata or {}
    except (OSError, pa.ArrowException):
        return None  # not ours, or damaged by something else: made again
    values = {key.decode(): value.decode() for key, value in meta.items() if key.startswith(_META.encode())}
    if values.get(_META + "input_signature") != _signature(shard):
        return None
    return ShardSummary(
        input=str(shard),
        output=str(output),
        status="skipped",
        documents=int(values.get(_META + "documents", 0)),
        relevant=int(values.get(_META + "relevant", 0)),
        errors=int(values.get(_META + "errors", 0)),
    )


def write_shard(table: pa.Table, output: Path, shard: Path) -> ShardSummary:
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
            (_META + "input_signature").encode(): _signature(shard).encode(),
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


def _signature(shard: Path) -> str:
    stat = shard.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


# -- parts: what a local worker wrote for a slice of a shard, merged into the shard's output ----------


def write_part(table: pa.Table, path: Path) -> None:
    """A slice of a shard's rows as an uncompressed Arrow file (cheap to write and read back)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    os.replace(temporary, path)


def merge_parts(parts: list[Path], output: Path, shard: Path) -> ShardSummary:
    """Write a shard's output from its parts (in ``seq`` order), atomically, and count it."""
    from cyberops.batch.schema import rows_to_table

    tables = []
    for part in parts:
        with pa.OSFile(str(part), "rb") as source:  # read into memory: the part is deleted after
            tables.append(pa.ipc.open_file(source).read_all())
    table = pa.concat_tables(tables).sort_by("seq").combine_chunks() if tables else rows_to_table([])
    return write_shard(table, output, shard)
