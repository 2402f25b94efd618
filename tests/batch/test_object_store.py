"""Input shards in an object store: pyarrow's real S3 client against an S3 server (moto) on loopback.

The server runs in this process; the local engine's workers are separate
processes that reach it through the same AWS_* variables a user would set.
Objects are uploaded with boto3, so the client under test does not also
write what it reads.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from batch_helpers import INDICTMENT, WEATHER, docs_en, docs_fr, expected_table, write_jsonl
from typer.testing import CliRunner

from cyberops.batch import BatchError, read_records, run_batch, storage
from cyberops.batch.output import find_shards
from cyberops.cli.main import app
from cyberops.nlp.analyzer import Analyzer
from cyberops.settings import Settings

BUCKET = "news-archive"


@pytest.fixture(scope="module")
def s3() -> Iterator[object]:
    """An S3 endpoint on loopback, configured as a user configures a MinIO or Ceph store: AWS_* variables."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as patch:
        # os.environ, not arguments: the spawned workers inherit it, and pyarrow reads it there too.
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://{host}:{port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }.items():
            patch.setenv(name, value)
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client
        storage._filesystem.cache_clear()  # its filesystems point at this server
    server.stop()


@pytest.fixture
def local_shards(tmp_path: Path) -> Path:
    """The shards on disk; the same bytes go to the store."""
    from batch_helpers import RANSOMWARE, write_warc

    folder = tmp_path / "dump"
    (folder / "more").mkdir(parents=True)
    write_jsonl(folder / "en.jsonl", docs_en(), extra_lines=("not json", '{"id": "no-text"}'))
    write_jsonl(folder / "fr.jsonl.gz", docs_fr())
    write_warc(
        folder / "pages.warc.gz", [("https://news.example/a", INDICTMENT), ("https://news.example/b", RANSOMWARE)]
    )
    table = pa.table({"id": ["pq-1", "pq-2"], "text": [INDICTMENT, WEATHER], "language": ["en", None]})
    pq.write_table(table, folder / "more" / "articles.parquet")
    (folder / "README.txt").write_text("not a shard")
    return folder


def upload(client, folder: Path, prefix: str) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    for path in files:
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{path.relative_to(folder)}", Body=path.read_bytes())
    return files


def written(path: Path) -> pa.Table:
    return pq.read_table(path).replace_schema_metadata(None)


def as_if_read_from(table: pa.Table, local: Path, uri: str) -> pa.Table:
    """A row's ``source`` names its shard; apart from that name, the rows must be the same bytes."""
    source = pc.replace_substring(table["source"], str(local), uri)
    return table.set_column(table.schema.get_field_index("source"), "source", source)


@pytest.mark.network
def test_shards_in_s3_give_the_rows_of_the_same_shards_on_disk_and_a_rerun_skips_them(
    s3, tmp_path: Path, local_shards: Path, settings: Settings, loaded: Analyzer
) -> None:
    upload(s3, local_shards, "run1/dump")
    out = tmp_path / "out"
    summary = run_batch([f"s3://{BUCKET}/run1/dump/*"], out, settings, engine="local", workers=2)

    # In an object store "*" crosses "/" (keys have no folders): the Parquet shard under more/ is found too.
    names = ["en.jsonl", "fr.jsonl.gz", "more/articles.parquet", "pages.warc.gz"]
    assert [s.input for s in summary.shards] == [f"s3://{BUCKET}/run1/dump/{name}" for name in names]
    assert [s.status for s in summary.shards] == ["written"] * 4
    for name in names:
        local = local_shards / name
        expected = expected_table(local, settings, loaded).replace_schema_metadata(None)
        expected = as_if_read_from(expected, local_shards, f"s3://{BUCKET}/run1/dump")
        assert written(out / f"{local.name}.parquet").equals(expected), name
    assert (
        pq.read_schema(out / "en.jsonl.parquet").metadata[b"cyberops.input"]
        == f"s3://{BUCKET}/run1/dump/en.jsonl".encode()
    )

    # A re-run skips what is done; an object replaced since is done again.
    before = (out / "en.jsonl.parquet").stat().st_mtime_ns
    again = run_batch([f"s3://{BUCKET}/run1/dump/"], out, settings, workers=1)
    assert [s.status for s in again.shards] == ["skipped"] * 4
    assert again.shards[0].documents == summary.shards[0].documents
    changed = write_jsonl(tmp_path / "fr.jsonl.gz", [{"id": "fr-9", "text": "Un texte ordinaire sur la pluie."}])
    s3.put_object(Bucket=BUCKET, Key="run1/dump/fr.jsonl.gz", Body=changed.read_bytes())
    third = run_batch([f"s3://{BUCKET}/run1/dump"], out, settings, workers=1)
    assert [s.status for s in third.shards] == ["skipped", "written", "skipped", "skipped"]
    assert (out / "en.jsonl.parquet").stat().st_mtime_ns == before
    assert [r.id for r in read_records(out / "fr.jsonl.gz.parquet")] == ["fr-9"]


@pytest.mark.network
def test_a_missing_object_fails_its_shard_and_an_unlistable_input_stops_the_job(
    s3, tmp_path: Path, local_shards: Path, settings: Settings, loaded: Analyzer
) -> None:
    upload(s3, local_shards, "run2")
    missing = f"s3://{BUCKET}/run2/gone.jsonl"
    summary = run_batch([missing, f"s3://{BUCKET}/run2/fr.jsonl.gz"], tmp_path / "out", settings)
    assert [(s.input, s.status) for s in summary.shards] == [(missing, "failed"), (summary.shards[1].input, "written")]
    assert summary.shards[0].message == f"{missing}: no such file; check the path"

    with pytest.raises(BatchError, match=f"no shard matches s3://{BUCKET}/run2/\\*.csv"):
        run_batch([f"s3://{BUCKET}/run2/*.csv"], tmp_path / "out", settings)
    with pytest.raises(BatchError, match="no shards found"):
        run_batch([f"s3://{BUCKET}/nothing-here/"], tmp_path / "out", settings)
    with pytest.raises(BatchError, match="cannot list s3://no-such-bucket/.*bucket does not exist"):
        run_batch(["s3://no-such-bucket/dump/*.jsonl"], tmp_path / "out", settings)


@pytest.mark.network
def test_object_store_listing_and_names(s3, local_shards: Path) -> None:
    upload(s3, local_shards, "run3")
    root = f"s3://{BUCKET}/run3"
    every = [f"{root}/{name}" for name in ("en.jsonl", "fr.jsonl.gz", "more/articles.parquet", "pages.warc.gz")]
    assert find_shards([f"{root}/"]) == every
    assert find_shards([root]) == every  # a prefix with objects under it is a folder
    assert find_shards([f"{root}/*.jsonl*"]) == every[:2]
    assert find_shards([f"{root}/more/articles.parquet"]) == [every[2]]
    assert storage.base_name(every[2]) == "articles.parquet"
    assert storage.signature(every[0]).startswith(f"{(local_shards / 'en.jsonl').stat().st_size}:")
    with storage.open_stream(every[1]) as stream:  # gunzipped on the way
        assert stream.read().startswith(b'{"id": "fr-1"')


def test_output_to_an_object_store_is_refused(tmp_path: Path, local_shards: Path) -> None:
    with pytest.raises(BatchError, match="must be a local folder"):
        run_batch([local_shards], f"s3://{BUCKET}/records")
    # The command line keeps the URI whole (a Path would make it s3:/…) and says the same.
    result = CliRunner().invoke(app, ["batch", str(local_shards), "--out", f"s3://{BUCKET}/records"])
    assert result.exit_code == 2
    assert f"s3://{BUCKET}/records) must be a local folder" in result.output
    assert not list(tmp_path.glob("s3*")) and not Path("s3:").exists()


# -- local paths ---------------------------------------------------------------------------------


def test_local_patterns_folders_and_names(tmp_path: Path, local_shards: Path) -> None:
    every = [str(local_shards / name) for name in ("en.jsonl", "fr.jsonl.gz", "more/articles.parquet", "pages.warc.gz")]
    assert find_shards([local_shards]) == every  # a folder: its shards, recursively, sorted; README.txt left out
    assert find_shards([f"{local_shards}/*"]) == [every[0], every[1], every[3]]  # "*" stops at "/"
    assert find_shards([f"{local_shards}/**/*.parquet"]) == [every[2]]  # "**" crosses folders
    assert find_shards([f"{local_shards}/*.jsonl*", local_shards / "pages.warc.gz"]) == [*every[:2], every[3]]
    # A named file is kept as given, even missing: it is reported `failed` when read, like a corrupt one.
    assert find_shards([tmp_path / "gone.jsonl"]) == [str(tmp_path / "gone.jsonl")]
    with pytest.raises(BatchError, match="no shard matches"):
        find_shards([f"{local_shards}/*.csv", local_shards])
    assert storage.base_name(local_shards / "en.jsonl") == "en.jsonl"
    assert not storage.is_uri(str(local_shards)) and storage.is_uri("gs://bucket/a.jsonl")
