"""Where shard bytes come from: a local path, or a URI of an object store that pyarrow.fs knows.

A *location* is a string: a local path (as given, normalized by ``Path``),
or a URI such as ``s3://bucket/dump/part-0001.jsonl.gz`` (also ``gs://``,
``hdfs://``: whatever ``pyarrow.fs.FileSystem.from_uri`` accepts). This
module lists locations, opens them and tells their size and a change
signature; the readers in ``batch/shards.py`` do the rest, the same for
both kinds. Output stays local: only input shards are read from here.

An input may name one shard, a folder or prefix (``records/``,
``s3://bucket/dump/``: every shard under it, recursively), or a pattern
(``dump/*.jsonl.gz``, ``s3://bucket/dump/*.jsonl.gz``). In a local pattern
``*`` stops at ``/`` and ``**`` crosses folders (``glob``); in an object
store ``*`` also crosses ``/`` (``fnmatch`` on the whole key: keys have no
folders).

S3 is configured as the AWS SDK that pyarrow embeds configures itself, from
the environment and ``~/.aws/config`` / ``~/.aws/credentials``:

- ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY`` (and ``AWS_SESSION_TOKEN``),
  or ``AWS_PROFILE``; with none of them, the instance's role where there is one;
- ``AWS_REGION`` or ``AWS_DEFAULT_REGION``; pyarrow otherwise asks the bucket
  for its region (one extra request per bucket);
- ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` for an S3-compatible store
  (MinIO, Ceph): ``http://minio.internal:9000``; the scheme of the URL decides
  between HTTP and HTTPS. pyarrow 26 reads both itself (tested against a local
  S3 server), so nothing here passes them on.

One filesystem is made per scheme and host (bucket) in each process and
kept, so a bucket's region is looked up once.
"""

from __future__ import annotations

import functools
import glob
import gzip
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.fs as pafs

# Bytes fetched per read from an object store: each read of a remote file is one ranged request, and
# the readers ask for a few KiB at a time.
READ_AHEAD = 8 * 2**20
_WILDCARDS = frozenset("*?[")


def is_uri(location: str | Path) -> bool:
    """Whether ``location`` is a URI (``s3://…``) rather than a local path."""
    return isinstance(location, str) and "://" in location


def is_pattern(item: str | Path) -> bool:
    """Whether an input is a pattern (``*``, ``?``, ``[…]``) rather than a name."""
    return bool(_WILDCARDS.intersection(str(item)))


def as_location(item: str | Path) -> str:
    """A URI as given, a local path as ``Path`` writes it: the name a shard goes by in messages and summaries."""
    return str(item) if is_uri(item) else str(Path(item))


def base_name(location: str | Path) -> str:
    """The last part of a path or URI: ``s3://bucket/dump/a.jsonl.gz`` → ``a.jsonl.gz``."""
    if is_uri(location):
        return urlsplit(str(location)).path.rstrip("/").rpartition("/")[2]
    return Path(location).name


def expand(item: str | Path, suffixes: tuple[str, ...]) -> list[str]:
    """The shard locations an input names, sorted.

    A folder, a prefix (a URI ending in ``/``, or one under which objects exist) or a pattern stands
    for the files in it whose names end with one of ``suffixes``; any other input names one shard,
    kept as given even if it does not exist (reading it then fails). Raises ``OSError`` or
    ``ValueError`` when the store cannot be listed (no such bucket, no credentials, unknown scheme).
    """
    location = as_location(item)
    wanted = tuple(suffix.lower() for suffix in suffixes)
    if not is_uri(location):
        if is_pattern(location):
            matches = glob.glob(location, recursive=True)
            return sorted(as_location(m) for m in matches if m.lower().endswith(wanted) and os.path.isfile(m))
        path = Path(location)
        if path.is_dir():
            return sorted(str(p) for p in path.rglob("*") if p.name.lower().endswith(wanted) and p.is_file())
        return [location]
    filesystem, root, key = _resolve(location)
    if is_pattern(key):
        fixed = key[: min(key.index(c) for c in _WILDCARDS if c in key)]
        listed = _list(filesystem, _join(root, fixed.rpartition("/")[0]))
        pattern = _join(root, key)
        paths = [path for path in listed if fnmatchcase(path, pattern)]
    elif location.endswith("/") or filesystem.get_file_info(_join(root, key)).type == pafs.FileType.Directory:
        paths = _list(filesystem, _join(root, key))
    else:
        return [location]
    head = location[: len(location) - len(key)] if key else location.rstrip("/") + "/"
    return sorted(head + path[len(root) :].lstrip("/") for path in paths if path.lower().endswith(wanted))


def is_file(location: str) -> bool:
    """Whether the shard exists; raises ``OSError`` when an object store cannot be asked."""
    if not is_uri(location):
        return Path(location).is_file()
    filesystem, path = _open_args(location)
    return bool(filesystem.get_file_info(path).type == pafs.FileType.File)


def size_hint(location: str) -> int:
    """The shard's size in bytes, 0 when it is missing or cannot be looked up: for planning only, the read
    reports what is wrong."""
    try:
        if not is_uri(location):
            return os.path.getsize(location)
        filesystem, path = _open_args(location)
        info = filesystem.get_file_info(path)
    except OSError:
        return 0
    return int(info.size or 0) if info.type == pafs.FileType.File else 0


def signature(location: str) -> str:
    """``size:mtime_ns`` of the shard, kept with its output to tell a changed input; raises ``OSError`` when it
    is missing or cannot be looked up."""
    if not is_uri(location):
        stat = os.stat(location)
        return f"{stat.st_size}:{stat.st_mtime_ns}"
    filesystem, path = _open_args(location)
    info = filesystem.get_file_info(path)
    if info.type != pafs.FileType.File:
        raise FileNotFoundError(f"no such object: {location}")
    return f"{info.size}:{info.mtime_ns}"


@contextmanager
def open_file(location: str) -> Iterator[io.BufferedIOBase]:
    """The shard's bytes as they are stored, seekable (WARC, Parquet); raises ``FileNotFoundError``, ``OSError``."""
    if not is_uri(location):
        with open(location, "rb") as stream:
            yield stream
        return
    filesystem, path = _open_args(location)
    with filesystem.open_input_file(path) as remote, io.BufferedReader(remote, buffer_size=READ_AHEAD) as stream:
        yield stream


@contextmanager
def open_stream(location: str) -> Iterator[io.BufferedIOBase]:
    """The shard's content, read front to back: gunzipped when its name ends in ``.gz`` (JSONL)."""
    with open_file(location) as stream:
        if not location.lower().endswith(".gz"):
            yield stream
            return
        with gzip.GzipFile(fileobj=stream, mode="rb") as content:
            yield content


# -- object stores -------------------------------------------------------------------------------


def _resolve(location: str) -> tuple[pafs.FileSystem, str, str]:
    """The filesystem of a URI, the path of its root in it, and the key below that root."""
    parts = urlsplit(location)
    filesystem, root = _filesystem(parts.scheme, parts.netloc)
    return filesystem, root, parts.path.lstrip("/")


def _open_args(location: str) -> tuple[pafs.FileSystem, str]:
    filesystem, root, key = _resolve(location)
    return filesystem, _join(root, key)


@functools.cache
def _filesystem(scheme: str, netloc: str) -> tuple[pafs.FileSystem, str]:
    # One per bucket and process: making an S3 filesystem may look up the bucket's region.
    filesystem, root = pafs.FileSystem.from_uri(f"{scheme}://{netloc}/")
    return filesystem, root.rstrip("/")


def _join(root: str, key: str) -> str:
    """A key below a filesystem's root: ``bucket`` + ``dump/a`` for S3, ``""`` + ``dump/a`` → ``/dump/a`` for HDFS."""
    return f"{root}/{key}".rstrip("/") if key else root or "/"


def _list(filesystem: pafs.FileSystem, prefix: str) -> list[str]:
    # Not allow_not_found: it would also hide a bucket that does not exist, which raises a plain OSError.
    try:
        infos = filesystem.get_file_info(pafs.FileSelector(prefix, recursive=True))
    except FileNotFoundError:
        return []  # nothing under the prefix
    return [info.path for info in infos if info.type == pafs.FileType.File]
