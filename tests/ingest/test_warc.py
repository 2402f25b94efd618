from __future__ import annotations

import io
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cyberops.errors import InputError
from cyberops.ingest.identity import url_id
from cyberops.ingest.sources import iter_articles
from cyberops.ingest.warc import iter_warc_articles
from cyberops.record import Article
from cyberops.settings import Settings


def page(title: str) -> bytes:
    paragraphs = "".join(
        f"<p>{title}: investigators said the intrusion began months earlier, paragraph {n} of the report.</p>" for n in range(4)
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


def response(writer: WARCWriter, url: str, body: bytes, content_type: str = "text/html; charset=utf-8", status: str = "200 OK"):
    headers = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
    return writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)


def write_warc(path: Path, build, gzip: bool) -> Path:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=gzip)
        for record in build(writer):
            writer.write_record(record)
    return path


def three_pages(writer: WARCWriter):
    yield response(writer, "https://news.example/one?utm_source=x", page("Breach at a software firm"))
    yield response(writer, "https://news.example/two", page("Ministry denies the accusations"))
    yield response(writer, "https://news.example/three", page("Sanctions on the group"))


def titles(results) -> list[str | None]:
    return [r.title for r in results if isinstance(r, Article)]


def errors(results) -> list[InputError]:
    return [r for r in results if isinstance(r, InputError)]


@pytest.mark.parametrize("gzip", [False, True])
def test_html_responses_become_articles_with_url_and_url_id(tmp_path: Path, gzip: bool) -> None:
    path = write_warc(tmp_path / ("a.warc.gz" if gzip else "a.warc"), three_pages, gzip)
    results = list(iter_warc_articles(path, Settings()))
    assert titles(results) == ["Breach at a software firm", "Ministry denies the accusations", "Sanctions on the group"]
    first = results[0]
    assert isinstance(first, Article)
    assert first.url == "https://news.example/one?utm_source=x"
    assert first.id == url_id("https://news.example/one")
    assert "investigators said the intrusion" in first.text


def test_other_records_are_skipped_and_text_resources_read(tmp_path: Path) -> None:
    def build(writer: WARCWriter):
        yield writer.create_warc_record(
            "https://news.example/one", "request", payload=io.BytesIO(b"GET /one HTTP/1.1\r\nHost: news.example\r\n\r\n")
        )
        yield response(writer, "https://news.example/logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png")
        yield response(writer, "https://news.example/missing", page("Not found"), status="404 Not Found")
        yield response(writer, "https://news.example/moved", b"", status="301 Moved Permanently")
        yield writer.create_warc_record(
            "https://news.example/notes.txt",
            "resource",
            payload=io.BytesIO(b"Statement on the cyber incident\n\nThe agency confirmed the breach on Monday.\n"),
            warc_content_type="text/plain; charset=utf-8",
        )
        yield response(writer, "https://news.example/two", page("Ministry denies the accusations"))

    results = list(iter_warc_articles(write_warc(tmp_path / "mixed.warc", build, gzip=False), Settings()))
    assert errors(results) == []
    assert [r.url for r in results] == ["https://news.example/notes.txt", "https://news.example/two"]
    assert "The agency confirmed the breach" in results[0].text


def test_a_bad_record_is_an_error_and_the_next_ones_are_read(tmp_path: Path) -> None:
    def build(writer: WARCWriter):
        yield response(writer, "https://news.example/empty", b"<html><body></body></html>")
        yield response(writer, "https://news.example/big", page("Big") + b"<p>" + b"x" * 5000 + b"</p>")
        yield response(writer, "https://news.example/two", page("Ministry denies the accusations"))

    results = list(iter_warc_articles(write_warc(tmp_path / "bad.warc.gz", build, gzip=True), Settings(max_bytes=3000)))
    empty, big = errors(results)
    assert empty.source.startswith(f"{tmp_path / 'bad.warc.gz'}#0 (https://news.example/empty)")
    assert "over the limit" in str(big)
    assert titles(results) == ["Ministry denies the accusations"]


@pytest.mark.parametrize("gzip", [False, True])
@pytest.mark.parametrize("keep", [0.55, 0.9])
def test_truncated_archive_yields_what_came_before_then_an_error(tmp_path: Path, gzip: bool, keep: float) -> None:
    path = write_warc(tmp_path / ("t.warc.gz" if gzip else "t.warc"), three_pages, gzip)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    results = list(iter_warc_articles(path, Settings()))
    whole = 1 if keep < 0.6 else 2
    assert titles(results) == ["Breach at a software firm", "Ministry denies the accusations"][:whole]
    (error,) = errors(results)
    assert results[-1] is error
    assert "truncated" in str(error)


def test_garbage_between_records_stops_with_an_error_after_the_good_ones(tmp_path: Path) -> None:
    first = write_warc(tmp_path / "first.warc.gz", lambda w: [response(w, "https://news.example/one", page("Breach at a software firm"))], True)
    second = write_warc(tmp_path / "second.warc.gz", lambda w: [response(w, "https://news.example/two", page("Ministry denies"))], True)
    path = tmp_path / "joined.warc.gz"
    path.write_bytes(first.read_bytes() + b"this is no gzip member at all" * 10 + second.read_bytes())
    results = list(iter_warc_articles(path, Settings()))
    assert titles(results) == ["Breach at a software firm"]
    (error,) = errors(results)
    assert "corrupt or truncated" in str(error)


def test_a_record_whose_digest_does_not_match_is_an_error(tmp_path: Path) -> None:
    path = write_warc(tmp_path / "d.warc", three_pages, gzip=False)
    data = path.read_bytes()
    # Same length, different bytes: only the digest can tell.
    path.write_bytes(data.replace(b"Ministry denies", b"Ministry admits", 1))
    results = list(iter_warc_articles(path, Settings()))
    assert titles(results) == ["Breach at a software firm", "Sanctions on the group"]
    (error,) = errors(results)
    assert "digest" in str(error)


@pytest.mark.parametrize("content", [b"", b"not a warc file at all\n" * 5])
def test_what_is_no_archive(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.warc"
    path.write_bytes(content)
    results = list(iter_warc_articles(path, Settings()))
    assert titles(results) == []
    assert len(errors(results)) == (1 if content else 0)


def test_missing_archive(tmp_path: Path) -> None:
    (error,) = iter_warc_articles(tmp_path / "none.warc.gz", Settings())
    assert "no such file" in str(error)


def test_iter_articles_reads_warc_files_and_finds_them_in_directories(tmp_path: Path) -> None:
    archive_dir = tmp_path / "crawl"
    archive_dir.mkdir()
    write_warc(archive_dir / "a.warc.gz", three_pages, gzip=True)
    # Archives are read record by record: the file size limit applies to each record, not the file.
    small = Settings(max_bytes=4000)
    assert len(titles(iter_articles([str(archive_dir / "a.warc.gz")], small))) == 3
    assert len(titles(iter_articles([str(archive_dir)], small))) == 3
