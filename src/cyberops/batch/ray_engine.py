"""The Ray engine: a Ray Data pipeline whose actors each hold one analyzer.

Stages, cheapest first, over a round of shards (as many as fit in
``round_bytes`` of input, 512 MiB by default; a larger shard is a round alone)::

    read (one task per shard: JSONL, WARC, Parquet → document blocks)
      → map_batches(Screener actors)   language, date, KB scan, relevance; no spaCy model is loaded
      → the driver                     keeps the settled rows (irrelevant or unreadable documents)
      → from_arrow(relevant) → map_batches(Parser actors)   the full analysis, models loaded once per actor
      → the driver writes one Parquet shard per input shard

Splitting in the driver is what keeps irrelevant articles away from the
parsing actors without screening twice (a Ray dataset cannot be split into
two streams) and without a Ray task per block (each would start a worker
process). The driver holds a round's rows until the round ends, then hands
each shard's table to ``on_shard``; rows are keyed by ``(shard, seq)``, so a
task that Ray retries after an actor died cannot add a row twice. A shard
that breaks while read yields a marker row (``seq`` -1) and is reported
instead of written.

Actors are restarted and their tasks retried up to ``max_retries`` times;
past that the job fails rather than loop on a document that always kills
its worker.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cyberops.batch.output import BatchError
from cyberops.batch.schema import RECORD_SCHEMA, error_row, rows_to_table
from cyberops.batch.shards import DOC_FIELDS, DOC_SCHEMA, ShardError, documents_table, iter_documents
from cyberops.batch.work import AnalyzerFactory, analyze_document, default_analyzer, screen_document
from cyberops.settings import Settings

ShardDone = Callable[[int, "pa.Table | ShardError"], None]

RAY_EXTRA = "ray"
# Input per round: the driver holds a round's records until it ends, and each round starts its actors anew.
ROUND_BYTES = 512 * 2**20
_BLOCK_ROWS = 256  # documents per read block: enough blocks for every screening actor to have work
_SHARD = pa.field("shard", pa.int32(), nullable=False)
_PENDING = pa.field("doc", pa.struct(list(DOC_SCHEMA)))
SCREENED_SCHEMA = pa.schema([*RECORD_SCHEMA, _SHARD, _PENDING])
PARSED_SCHEMA = pa.schema([*RECORD_SCHEMA, _SHARD])
_TO_PARSE_SCHEMA = pa.schema([*DOC_SCHEMA, _SHARD])


def import_ray() -> Any:
    """The ``ray`` module, or an error that says how to install it."""
    try:
        import ray
        import ray.data
    except ImportError as error:
        raise BatchError(
            f"the ray engine needs Ray Data, which is not installed ({error}); "
            f'install the extra: pip install "cyberops[{RAY_EXTRA}]", or use --engine local'
        ) from None
    return ray


def run_ray(
    shards: list[Path],
    settings: Settings,
    on_shard: ShardDone,
    workers: int = 1,
    address: str | None = None,
    make_analyzer: AnalyzerFactory = default_analyzer,
    round_bytes: int | None = ROUND_BYTES,
    screen_batch: int = 64,
    parse_batch: int = 4,
    max_retries: int = 3,
) -> None:
    """Analyze every shard on a Ray cluster; ``on_shard(i, table or ShardError)`` as each round completes.

    Uses the cluster this process is already connected to, else connects to
    ``address`` (``ray://head:10001``), else starts a local one and stops it
    at the end. ``workers`` is the number of actors of each stage.
    """
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, logging_level="WARNING")
        else:
            ray.init(num_cpus=max(workers, os.cpu_count() or 1), include_dashboard=False, logging_level="WARNING")
        started = True
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        # Bounded, unlike Ray Data's default (forever): a document that always kills its actor must end the job.
        remote = {"max_restarts": max_retries, "max_task_retries": max_retries}
        for positions in _rounds(shards, round_bytes):
            results = _run_round(
                ray, [shards[p] for p in positions], settings, workers, make_analyzer, screen_batch, parse_batch, remote
            )
            for local, position in enumerate(positions):
                on_shard(position, results[local])
    finally:
        if started:
            ray.shutdown()


def _rounds(shards: list[Path], round_bytes: int | None) -> Iterator[list[int]]:
    if not round_bytes:
        yield list(range(len(shards)))
        return
    current: list[int] = []
    size = 0
    for position, shard in enumerate(shards):
        weight = shard.stat().st_size if shard.exists() else 0
        if current and size + weight > round_bytes:
            yield current
            current, size = [], 0
        current.append(position)
        size += weight
    if current:
        yield current


def _run_round(
    ray: Any,
    shards: list[Path],
    settings: Settings,
    workers: int,
    make_analyzer: AnalyzerFactory,
    screen_batch: int,
    parse_batch: int,
    remote: dict[str, int],
) -> list[pa.Table | ShardError]:
    actor_args = {"settings": settings, "make_analyzer": make_analyzer}
    actors = {
        "compute": ray.data.ActorPoolStrategy(size=workers),
        "num_cpus": 1,
        "ray_remote_args_fn": lambda: dict(remote),
        "fn_constructor_kwargs": actor_args,
        "batch_format": "pyarrow",
    }
    # Reading is light: with no CPU of its own it never waits for an actor to let one go; `concurrency` bounds it.
    documents = ray.data.read_datasource(
        _shard_datasource(shards, settings), num_cpus=0, concurrency=workers, override_num_blocks=len(shards)
    )
    tables: dict[int, list[pa.Table]] = defaultdict(list)
    pending: list[pa.Table] = []
    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for bounded actor restarts; ray_remote_args_fn goes in 2.64: revisit then.
        warnings.simplefilter("ignore", DeprecationWarning)
        screened = documents.map_batches(Screener, batch_size=screen_batch, **actors)
        # The driver keeps the settled rows (it writes them anyway) and sends on only the relevant articles:
        # splitting here costs no Ray task, where a filter task per block would start worker processes.
        for batch in screened.iter_batches(batch_format="pyarrow", batch_size=None):
            _gather(tables, _settled(batch))
            unsettled = _unsettled(batch)
            if unsettled.num_rows:
                pending.append(unsettled)
        if pending:
            # The screening actors are gone by now: their CPUs go to the parsing actors.
            parsed = ray.data.from_arrow(pending).map_batches(Parser, batch_size=parse_batch, **actors)
            for batch in parsed.iter_batches(batch_format="pyarrow", batch_size=None):
                _gather(tables, batch)
    return [_shard_result(shards[index], tables.get(index, [])) for index in range(len(shards))]


def _gather(tables: dict[int, list[pa.Table]], batch: pa.Table) -> None:
    for shard in pc.unique(batch["shard"]).to_pylist():
        tables[shard].append(batch.filter(pc.equal(batch["shard"], shard)).drop_columns(["shard"]))


def _shard_result(shard: Path, tables: list[pa.Table]) -> pa.Table | ShardError:
    if not tables:
        return rows_to_table([])
    table = pa.concat_tables(tables).sort_by("seq").combine_chunks()
    if table.num_rows and table["seq"][0].as_py() == -1:
        return ShardError(str(shard), table["error"][0].as_py())
    seqs = table["seq"].to_numpy()
    # A retried task can only repeat rows it already gave: keep the first of each seq.
    if len(seqs) > 1 and (seqs[1:] == seqs[:-1]).any():
        keep = [True, *(seqs[1:] != seqs[:-1]).tolist()]
        table = table.filter(pa.array(keep))
    return table


# -- the read ---------------------------------------------------------------------------------


def _shard_datasource(shards: list[Path], settings: Settings) -> Any:
    """A Ray datasource with one read task per shard, yielding blocks of documents (plus ``shard``)."""
    # Built here, not at import, so that this module imports without Ray and says what to install.
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class ShardDatasource(Datasource):
        def __init__(self) -> None:
            self.shards = [str(shard) for shard in shards]

        def estimate_inmemory_data_size(self) -> int | None:
            return sum(os.path.getsize(shard) for shard in self.shards if os.path.exists(shard)) or None

        def get_read_tasks(
            self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
        ) -> list[ReadTask]:
            tasks = []
            for index, shard in enumerate(self.shards):
                size = os.path.getsize(shard) if os.path.exists(shard) else None
                metadata = BlockMetadata(num_rows=None, size_bytes=size, input_files=(shard,), exec_stats=None)
                read = functools.partial(_read_blocks, index, Path(shard), settings)
                tasks.append(ReadTask(read, metadata, schema=_TO_PARSE_SCHEMA))
            return tasks

    return ShardDatasource()


def _read_blocks(index: int, shard: Path, settings: Settings) -> Iterable[pa.Table]:
    docs: list[dict[str, Any]] = []
    try:
        for doc in iter_documents(shard, settings):
            docs.append(doc)
            if len(docs) >= _BLOCK_ROWS:
                yield _with_shard(documents_table(docs), index)
                docs = []
    except ShardError as error:
        # The rows read so far are dropped downstream with the shard; the marker says why.
        docs.append({"seq": -1, "source": str(shard), "error": error.message})
    if docs:
        yield _with_shard(documents_table(docs), index)


def _with_shard(table: pa.Table, index: int) -> pa.Table:
    return table.append_column(_SHARD, pa.array([index] * table.num_rows, pa.int32()))


# -- the two stages --------------------------------------------------------------------------


class Screener:
    """A screening actor: settles irrelevant (and unreadable) documents, passes the others on prepared."""

    def __init__(self, settings: Settings, make_analyzer: AnalyzerFactory = default_analyzer) -> None:
        self.settings = settings
        self.analyzer = make_analyzer(settings)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = []
        for doc in batch.to_pylist():
            row: dict[str, Any] | None
            if doc["seq"] == -1:
                row = error_row(-1, doc["source"], doc["error"])
                article = None
            else:
                row, article = screen_document(self.analyzer, doc, self.settings)
            if article is not None:
                prepared = dict(doc, prepared=True, html=None, **_article_fields(article))
                row = _placeholder(doc)
                row["doc"] = {name: prepared.get(name) for name in DOC_FIELDS}
            else:
                assert row is not None
                row["doc"] = None
            row["shard"] = doc["shard"]
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=SCREENED_SCHEMA)


class Parser:
    """A parsing actor: the full analysis of articles the screen found relevant."""

    def __init__(self, settings: Settings, make_analyzer: AnalyzerFactory = default_analyzer) -> None:
        self.settings = settings
        self.analyzer = make_analyzer(settings)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = []
        for doc in batch.to_pylist():
            row = analyze_document(self.analyzer, doc, self.settings)
            row["shard"] = doc["shard"]
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=PARSED_SCHEMA)


def _article_fields(article: Any) -> dict[str, Any]:
    names = ("id", "text", "url", "title", "language", "published", "outlet", "raw_text")
    return {name: getattr(article, name) for name in names}


def _settled(batch: pa.Table) -> pa.Table:
    return batch.filter(pc.is_null(batch["doc"])).drop_columns(["doc"])


def _unsettled(batch: pa.Table) -> pa.Table:
    pending = batch.filter(pc.is_valid(batch["doc"]))
    if not pending.num_rows:
        return _TO_PARSE_SCHEMA.empty_table()
    docs = pa.Table.from_struct_array(pending["doc"].combine_chunks())
    return docs.append_column(_SHARD, pending["shard"].combine_chunks())


def _placeholder(doc: dict[str, Any]) -> dict[str, Any]:
    """The screened row of a document still to parse: its record comes from the parser."""
    row: dict[str, Any] = dict.fromkeys(RECORD_SCHEMA.names)
    row.update(seq=doc["seq"], source=doc["source"], entities=[], incidents=[], claims=[])
    return row
