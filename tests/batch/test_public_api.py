"""The names ``cyberops.batch`` exports: changing them is a decision, not an accident."""

from __future__ import annotations

import cyberops.batch


def test_the_public_api_of_batch() -> None:
    assert sorted(cyberops.batch.__all__) == [
        "BatchError",
        "BatchSummary",
        "ENGINES",
        "RECORD_SCHEMA",
        "SHARD_SUFFIXES",
        "SUMMARY_NAME",
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
    for name in cyberops.batch.__all__:
        assert getattr(cyberops.batch, name) is not None
