"""The Ray engine: a Ray Data pipeline whose actors each hold one analyzer.

Stages, cheapest first, over a round of shards (as many as fit in
``round_bytes`` of input, 512 MiB by default; a larger shard is a round alone)::

    read (a few tasks, each reading its share of the shards: JSONL, WARC, Parquet → blocks of ~1 MiB)
      → map_batches(Screener actors)   language, date, KB scan, relevance; no spaCy model is loaded
      → the driver                     keeps the rows; irrelevant or unreadable documents are settled
      → from_blocks(relevant, one model at most a block) → map_batches(Parser actors)
                                       the full analysis, from the screen's record and KB mentions
      → the driver writes one Parquet shard per input shard

Splitting in the driver is what keeps irrelevant articles away from the
parsing actors without screening twice (a Ray dataset cannot be split into
two streams) and without a Ray task per block (each would start a worker
process). The driver holds a round's rows until the round ends, then hands
each shard's table to ``on_shard``; rows are keyed by ``(shard, seq)``, so a
task that Ray retries after an actor died cannot add a row twice. A shard
that breaks while read yields a marker row (``seq`` -1) and is reported
instead of written.

Every Ray worker process costs its start (~2 CPU-s of imports, and the KB
or a spaCy model once in it), and on a node whose CPUs the actors hold each
read task needs a process of its own: so there are few read tasks, and each
parse block needs one spaCy model at most (an actor loads the model of each
language it meets). Every actor holds two blocks at a time: one waiting, so
that no actor idles while the driver dispatches the next.

Actors are restarted and their tasks retried up to ``max_retries`` times;
past that the job fails rather than loop on a document that always kills
its worker.
"""

from __future__ import annotations

import functools
import math
import os
import time
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from cyberops.batch import storage
from cyberops.batch.output import BatchError
from cyberops.batch.schema import RECORD_SCHEMA, error_row, record_row, row_to_record, rows_to_table
from cyberops.batch.shards import DOC_SCHEMA, WARC_SUFFIXES, ShardError, documents_table, iter_documents
from cyberops.batch.work import AnalyzerFactory, ToParse, default_analyzer, parse_document, screen_document
from cyberops.nlp.mentions import Mention
from cyberops.nlp.model_table import ModelTable
from cyberops.settings import Settings

ShardDone = Callable[[int, "pa.Table | ShardError"], None]

RAY_EXTRA = "ray"
# Input per round: the driver holds a round's records until it ends, and each round starts its actors anew.
ROUND_BYTES = 512 * 2**20
_SCREENERS_PER_READER = 8  # for JSONL and Parquet: see _readers
_BLOCK_ROWS = 256  # documents per read block: enough blocks for every screening actor to have work
# Ray Data merges a task's output blocks up to this size (128 MiB by default), which made one block of each read
# task and left a screening actor idle; a read block of 256 news articles is ~0.8 MiB.
_BLOCK_BYTES = 2**20
# Estimated CPU µs to parse a character of an article in a language with a spaCy model, and without one (measured
# on news: 12-15 and 2-5), and to load a model (0.2-1.9 s): what cuts and orders the parse blocks.
_PARSE_US_PER_CHAR = {True: 13, False: 3}
_MODEL_LOAD_US = 1_500_000
# Parse blocks per parsing actor: small enough that the actors end together, each block ~1 s of work on news.
_PIECES_PER_PARSER = 4
_SHARD = pa.field("shard", pa.int32(), nullable=False)
_READ_SCHEMA = pa.schema([*DOC_SCHEMA, _SHARD])
# What the screen found in a relevant article (Analyzer.screening), so that the parser need not screen again;
# null in a settled row.
_MENTION = pa.struct(
    [
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        *(pa.field(name, pa.string()) for name in ("text", "kind", "state", "form", "entry_id")),
    ]
)
_KB_MENTIONS = pa.field("kb_mentions", pa.list_(_MENTION))
SCREENED_SCHEMA = pa.schema([*RECORD_SCHEMA, _SHARD, _KB_MENTIONS])
PARSED_SCHEMA = pa.schema([*RECORD_SCHEMA, _SHARD])


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
    shards: list[str],
    settings: Settings,
    on_shard: ShardDone,
    workers: int = 1,
    address: str | None = None,
    make_analyzer: AnalyzerFactory = default_analyzer,
    round_bytes: int | None = ROUND_BYTES,
    screen_batch: int = 256,
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
            _connect(ray, address)
        else:
            # "local": a new cluster, even where /tmp/ray names another one (ray.init would join it).
            ray.init(
                address="local",
                num_cpus=max(workers, os.cpu_count() or 1),
                include_dashboard=False,
                logging_level="WARNING",
            )
        started = True
    run_round: Callable[..., list[pa.Table | ShardError]] = _run_round
    if ray.util.client.ray.is_connected():
        # Through Ray Client (ray://), Ray Data cannot drive a pipeline from here (its executor needs a core
        # worker: "'Worker' object has no attribute 'core_worker'" in 2.60): a task on the cluster drives
        # each round and hands its tables back.
        on_cluster = ray.remote(num_cpus=0, max_retries=0)(_run_round)

        def run_round(*args: Any) -> list[pa.Table | ShardError]:
            return list(ray.get(on_cluster.remote(*args)))

    try:
        # Bounded, unlike Ray Data's default (forever): a document that always kills its actor must end the job.
        remote = {"max_restarts": max_retries, "max_task_retries": max_retries}
        for positions in _rounds(shards, round_bytes):
            results = run_round(
                [shards[p] for p in positions], settings, workers, make_analyzer, screen_batch, parse_batch, remote
            )
            for local, position in enumerate(positions):
                on_shard(position, results[local])
    finally:
        if started:
            ray.shutdown()


def _connect(ray: Any, address: str, attempts: int = 3) -> None:
    for attempt in range(1, attempts + 1):
        try:
            ray.init(address=address, logging_level="WARNING")
            return
        except ConnectionAbortedError:
            # Ray Client's proxy starts a server per client and, in Ray 2.60, sometimes loses the race with that
            # process's start ("Initialization failure from server"); a second connection gets a new one.
            if attempt == attempts:
                raise
            time.sleep(1)


def _rounds(shards: list[str], round_bytes: int | None) -> Iterator[list[int]]:
    if not round_bytes:
        yield list(range(len(shards)))
        return
    current: list[int] = []
    size = 0
    for position, shard in enumerate(shards):
        weight = storage.size_hint(shard)
        if current and size + weight > round_bytes:
            yield current
            current, size = [], 0
        current.append(position)
        size += weight
    if current:
        yield current


def _run_round(
    shards: list[str],
    settings: Settings,
    workers: int,
    make_analyzer: AnalyzerFactory,
    screen_batch: int,
    parse_batch: int,
    remote: dict[str, int],
) -> list[pa.Table | ShardError]:
    ray = import_ray()
    # Set here, in whichever process drives the round (this one, or a task on the cluster).
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.target_max_block_size = _BLOCK_BYTES
    actors = {
        "num_cpus": 1,
        "ray_remote_args_fn": lambda: dict(remote),
        "fn_constructor_kwargs": {"settings": settings, "make_analyzer": make_analyzer},
        "batch_format": "pyarrow",
    }
    # A read task takes no CPU slot, so it never waits for an actor to let one go.
    readers = _readers(shards, workers)
    documents = ray.data.read_datasource(
        _shard_datasource(shards, settings, readers), num_cpus=0, concurrency=readers, override_num_blocks=readers
    )
    tables: dict[int, list[pa.Table]] = defaultdict(list)
    pending: list[pa.Table] = []
    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for bounded actor restarts; ray_remote_args_fn goes in 2.64: revisit then.
        warnings.simplefilter("ignore", DeprecationWarning)
        # Two blocks per screening actor: with Ray Data's default (four queued per actor) the actor ready first
        # took most of the blocks while the other was still starting; with one, each actor waited on the
        # driver between blocks (news-x3, 2 workers, marginal: 1.40x -> 1.64-1.67x the rate of 1 worker).
        screened = documents.map_batches(
            Screener,
            batch_size=screen_batch,
            compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=2),
            **actors,
        )
        # The driver keeps every screened row (it writes them anyway) and sends on only the relevant articles:
        # splitting here costs no Ray task, where a filter task per block would start worker processes. A
        # relevant article's row is its screen's record until its parsed row, gathered after it, replaces it.
        for batch in screened.iter_batches(batch_format="pyarrow", batch_size=None):
            _gather(tables, batch.drop_columns([_KB_MENTIONS.name]))
            if batch[_KB_MENTIONS.name].null_count < batch.num_rows:
                pending.append(_unsettled(batch))
        if pending:
            # The screening actors are gone by now: their CPUs go to the parsing actors.
            blocks = _parse_blocks(pa.concat_tables(pending), workers)
            # Two blocks per actor, as for screening: with one, each actor idled ~0.2 s between blocks while the
            # driver dispatched the next; the blocks are small enough that a queued one keeps no other actor idle.
            pool = ray.data.ActorPoolStrategy(size=min(workers, len(blocks)), max_tasks_in_flight_per_actor=2)
            # from_blocks keeps the blocks as made; from_arrow would run a Ray task per table for its metadata,
            # and start worker processes for them (measured: 2 processes, 3.8 CPU-s, 2.6 s before the first parse).
            parsed = ray.data.from_blocks(blocks).map_batches(Parser, batch_size=parse_batch, compute=pool, **actors)
            for batch in parsed.iter_batches(batch_format="pyarrow", batch_size=None):
                _gather(tables, batch)
    return [_shard_result(shards[index], tables.get(index, [])) for index in range(len(shards))]


def _parse_blocks(pending: pa.Table, workers: int) -> list[pa.Table]:
    """The relevant documents in blocks that each need at most one spaCy model, the costliest first.

    A parsing actor loads the model of each language it meets, so a modelled language's documents
    stay together, and the languages without a model go together; a group with more than
    ``1/(_PIECES_PER_PARSER x workers)`` of the estimated parse cost is cut into pieces of about
    that cost, so that the actors, each taking the next block when free, end together.
    """
    modelled = _modelled_languages()
    languages = pending["language"].to_pylist()
    groups = [language if language in modelled else "" for language in languages]
    shards, seqs = pending[_SHARD.name].to_pylist(), pending["seq"].to_pylist()
    order = sorted(range(len(groups)), key=lambda row: (groups[row], shards[row], seqs[row]))
    pending = pending.take(pa.array(order, pa.int64()))
    groups = [groups[row] for row in order]
    lengths = pc.utf8_length(pending["text"]).to_pylist()
    costs = [length * _PARSE_US_PER_CHAR[bool(group)] for length, group in zip(lengths, groups, strict=True)]
    most = max(sum(costs) / (_PIECES_PER_PARSER * workers), 1)
    blocks: list[tuple[int, pa.Table]] = []
    start = 0
    for end in range(1, len(groups) + 1):
        if end < len(groups) and groups[end] == groups[start]:
            continue
        total = sum(costs[start:end])
        pieces = math.ceil(total / most)
        # Cut where the running cost passes each 1/pieces of the group's total.
        piece_start, spent, cut = start, 0, 1
        for row in range(start, end):
            spent += costs[row]
            if spent * pieces >= total * cut or row + 1 == end:
                # The model load weighs on the group's first piece: a language with a single piece
                # then goes before the pieces of a larger one, not last, where it would keep one
                # actor loading its model while the others have finished.
                loads = piece_start == start and bool(groups[row])
                cost = sum(costs[piece_start : row + 1]) + (_MODEL_LOAD_US if loads else 0)
                blocks.append((cost, pending.slice(piece_start, row + 1 - piece_start)))
                piece_start, cut = row + 1, cut + 1
        start = end
    return [block for _, block in sorted(blocks, key=lambda item: -item[0])]


def _modelled_languages() -> frozenset[str]:
    return frozenset(ModelTable.load().models)


def _readers(shards: list[str], workers: int) -> int:
    """How many read tasks feed ``workers`` screening actors.

    Each runs in a Ray worker process of its own, started for it (~2 CPU-s of imports) when the actors
    hold every CPU. A JSONL reader only splits lines (the screening actors parse them) and a Parquet
    reader decodes columns: one keeps up with more than 15 screening actors (measured on news: under
    0.3 CPU-s to read what took a screening actor 4.6), so a few suffice. A WARC
    reader also extracts every page's text (~14 ms a page), more than the screen costs: one per actor.
    """
    if any(str(shard).lower().endswith(WARC_SUFFIXES) for shard in shards):
        return min(workers, len(shards))
    return min(math.ceil(workers / _SCREENERS_PER_READER), len(shards))


def _gather(tables: dict[int, list[pa.Table]], batch: pa.Table) -> None:
    shards = pc.unique(batch["shard"]).to_pylist()
    if len(shards) == 1:  # as a read block is: no copy
        tables[shards[0]].append(batch.drop_columns(["shard"]))
        return
    for shard in shards:
        tables[shard].append(batch.filter(pc.equal(batch["shard"], shard)).drop_columns(["shard"]))


def _shard_result(shard: str, tables: list[pa.Table]) -> pa.Table | ShardError:
    if not tables:
        return rows_to_table([])
    table = pa.concat_tables(tables).sort_by("seq").combine_chunks()
    if table.num_rows and table["seq"][0].as_py() == -1:
        return ShardError(shard, table["error"][0].as_py())
    seqs = table["seq"].to_numpy()
    # The sort is stable, so the last row of a seq is the latest gathered: the parsed row after the screened one.
    # A retried task can only repeat rows it already gave.
    if len(seqs) > 1 and (seqs[1:] == seqs[:-1]).any():
        keep = [*(seqs[1:] != seqs[:-1]).tolist(), True]
        table = table.filter(pa.array(keep))
    return table


# -- the read ---------------------------------------------------------------------------------


def _shard_datasource(shards: list[str], settings: Settings, readers: int) -> Any:
    """A Ray datasource of ``readers`` read tasks, each reading its share of the shards in turn and yielding
    blocks of documents (plus ``shard``).

    Not a task per shard: a Ray worker process runs each, and Ray ends an idle one past its limit of
    one per CPU (the actors hold them all), so each task started a process of its own.
    """
    # Built here, not at import, so that this module imports without Ray and says what to install.
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class ShardDatasource(Datasource):
        def __init__(self) -> None:
            self.shards = list(shards)

        def estimate_inmemory_data_size(self) -> int | None:
            return sum(storage.size_hint(shard) for shard in self.shards) or None

        def get_read_tasks(
            self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None
        ) -> list[ReadTask]:
            sizes = [storage.size_hint(shard) for shard in self.shards]
            # The largest shards first, each to the reader with the fewest bytes so far.
            shares: list[list[int]] = [[] for _ in range(readers)]
            loads = [0] * readers
            for index in sorted(range(len(sizes)), key=lambda index: -sizes[index]):
                reader = loads.index(min(loads))
                shares[reader].append(index)
                loads[reader] += sizes[index]
            tasks = []
            for reader, share in enumerate(shares):
                share.sort()
                metadata = BlockMetadata(
                    num_rows=None,
                    size_bytes=loads[reader],
                    input_files=tuple(self.shards[index] for index in share),
                    exec_stats=None,
                )
                read = functools.partial(_read_shards, [(index, self.shards[index]) for index in share], settings)
                tasks.append(ReadTask(read, metadata, schema=_READ_SCHEMA))
            return tasks

    return ShardDatasource()


def _read_shards(shards: list[tuple[int, str]], settings: Settings) -> Iterable[pa.Table]:
    for index, shard in shards:
        yield from _read_blocks(index, shard, settings)


def _read_blocks(index: int, shard: str, settings: Settings) -> Iterable[pa.Table]:
    docs: list[dict[str, Any]] = []
    try:
        # JSONL lines go to the screening actors unparsed, as to the local engine's workers: parsing them here
        # took the reader's process 40 µs a document, on a core the actors need.
        for doc in iter_documents(shard, settings, raw_lines=True):
            docs.append(doc)
            if len(docs) >= _BLOCK_ROWS:
                yield _with_shard(documents_table(docs), index)
                docs = []
    except ShardError as error:
        # The rows read so far are dropped downstream with the shard; the marker says why.
        docs.append({"seq": -1, "source": shard, "error": error.message})
    if docs:
        yield _with_shard(documents_table(docs), index)


def _with_shard(table: pa.Table, index: int) -> pa.Table:
    return table.append_column(_SHARD, pa.array([index] * table.num_rows, pa.int32()))


# -- the two stages --------------------------------------------------------------------------


class Screener:
    """A screening actor: settles irrelevant (and unreadable) documents, passes the others on with what
    their screen found."""

    def __init__(self, settings: Settings, make_analyzer: AnalyzerFactory = default_analyzer) -> None:
        self.settings = settings
        self.analyzer = make_analyzer(settings)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = []
        for doc in batch.to_pylist():
            row: dict[str, Any] | None
            if doc["seq"] == -1:
                row, to_parse = error_row(-1, doc["source"], doc["error"]), None
            else:
                row, to_parse = screen_document(self.analyzer, doc, self.settings)
            if to_parse is not None:
                row = record_row(to_parse.record, doc["seq"], doc["source"])
                row[_KB_MENTIONS.name] = [vars(mention) for mention in to_parse.kb_mentions]
            else:
                assert row is not None
                row[_KB_MENTIONS.name] = None
            row["shard"] = doc["shard"]
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=SCREENED_SCHEMA)


class Parser:
    """A parsing actor: the full analysis of articles the screen found relevant, from their screen."""

    def __init__(self, settings: Settings, make_analyzer: AnalyzerFactory = default_analyzer) -> None:
        self.settings = settings
        self.analyzer = make_analyzer(settings)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = []
        for screened in batch.to_pylist():
            to_parse = ToParse(row_to_record(screened), [Mention(**found) for found in screened[_KB_MENTIONS.name]])
            row = parse_document(self.analyzer, to_parse, screened["seq"], screened["source"])
            row["shard"] = screened["shard"]
            rows.append(row)
        return pa.Table.from_pylist(rows, schema=PARSED_SCHEMA)


def _unsettled(batch: pa.Table) -> pa.Table:
    return batch.filter(pc.is_valid(batch[_KB_MENTIONS.name]))
