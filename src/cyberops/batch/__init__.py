"""Batch analysis of large archives: shards in, Parquet record shards out, on local processes or Ray.

    summary = run_batch(["dump/*.jsonl.gz"], "records/", engine="local", workers=2)
    records = read_records("records/")

Input shards are JSONL (plain or gzip), WARC or Parquet; each gives one
output shard ``<name>.parquet`` of :data:`RECORD_SCHEMA`, written atomically,
so an interrupted job is finished by running it again.
"""

from cyberops.batch.job import ENGINES, run_batch
from cyberops.batch.output import SUMMARY_NAME, BatchError, BatchSummary, ShardSummary
from cyberops.batch.schema import RECORD_SCHEMA, read_errors, read_records, record_row, row_to_record, rows_to_table
from cyberops.batch.shards import SHARD_SUFFIXES, ShardError, iter_documents

__all__ = [
    "ENGINES",
    "RECORD_SCHEMA",
    "SHARD_SUFFIXES",
    "SUMMARY_NAME",
    "BatchError",
    "BatchSummary",
    "ShardError",
    "ShardSummary",
    "iter_documents",
    "read_errors",
    "read_records",
    "record_row",
    "row_to_record",
    "rows_to_table",
    "run_batch",
]
