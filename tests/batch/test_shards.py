"""Reading shards into documents: JSONL (plain, gzip), WARC, Parquet; bad lines and broken shards."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from batch_helpers import INDICTMENT, docs_en, write_corrupt_gzip, write_jsonl, write_warc

from cyberops.batch.shards import ShardError, iter_documents, prepare
from cyberops.errors import InputError
from cyberops.ingest.identity import url_id
from cyberops.settings import Settings


@pytest.mark.parametrize("name", ["en.jsonl", "en.jsonl.gz"])
def test_jsonl_lines_become_documents_and_bad_lines_errors(tmp_path: Path, name: str) -> None:
    path = write_jsonl(tmp_path / name, docs_en()[:2], extra_lines=("", "not json", "[1, 2]", '{"id": 7, "text": 3}'))
    docs = list(iter_documents(path, Settings()))
    assert [d["seq"] for d in docs] == [0, 1, 2, 3, 4]
    assert [d["id"] for d in docs[:2]] == ["en-1", "en-2"]
    assert docs[0]["source"] == f"{path}:1"
    assert docs[2]["error"].startswith("not valid JSON")
    assert docs[3]["error"] == "a line must be a JSON object"
    assert docs[4]["error"] == '"text" must be a string, not int'
    article = prepare(docs[0], Settings())
    assert article.id == "en-1" and article.url == "https://news.example/indictment" and article.language == "en"


def test_a_document_without_text_is_an_input_error_when_prepared(tmp_path: Path) -> None:
    [doc] = iter_documents(write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "url": "https://a.example"}]), Settings())
    with pytest.raises(InputError, match="neither"):
        prepare(doc, Settings())


def test_a_broken_gzip_stream_raises_after_the_documents_before_the_break(tmp_path: Path) -> None:
    path = write_corrupt_gzip(tmp_path / "cut.jsonl.gz", docs_en())
    docs = []
    with pytest.raises(ShardError, match="cannot be read past document") as caught:
        for doc in iter_documents(path, Settings()):
            docs.append(doc)
    assert docs and caught.value.shard == str(path)


def test_parquet_shards_are_read_by_column_name(tmp_path: Path) -> None:
    table = pa.table({"id": [1, 2], "text": [INDICTMENT, None], "extra": ["a", "b"], "language": ["en", None]})
    pq.write_table(table, tmp_path / "in.parquet")
    docs = list(iter_documents(tmp_path / "in.parquet", Settings()))
    assert [d["id"] for d in docs] == ["1", "2"]
    assert docs[0]["language"] == "en" and "extra" not in docs[0]
    assert prepare(docs[0], Settings()).text.startswith("US charges")


def test_a_file_that_is_no_parquet_is_a_broken_shard(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(ShardError):
        list(iter_documents(tmp_path / "bad.parquet", Settings()))


def test_warc_records_arrive_as_prepared_articles(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "a.warc.gz", [("https://news.example/a", INDICTMENT)])
    [doc] = iter_documents(path, Settings())
    assert doc["prepared"] and doc["id"] == url_id("https://news.example/a")
    assert "Ministry of State Security" in prepare(doc, Settings()).text


def test_a_truncated_warc_is_a_broken_shard(tmp_path: Path) -> None:
    path = write_warc(
        tmp_path / "a.warc", [("https://news.example/a", INDICTMENT), ("https://news.example/b", INDICTMENT)]
    )
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 200])
    with pytest.raises(ShardError):
        list(iter_documents(path, Settings()))


def test_a_missing_or_unknown_shard_is_a_broken_shard(tmp_path: Path) -> None:
    with pytest.raises(ShardError, match="no such file"):
        list(iter_documents(tmp_path / "nope.jsonl", Settings()))
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ShardError, match="not a shard"):
        list(iter_documents(tmp_path / "notes.txt", Settings()))
