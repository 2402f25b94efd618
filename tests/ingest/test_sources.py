from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import httpx
import pytest

from cyberops.errors import DecodeError, EmptyDocumentError, FetchError, InputError, PrivateAddressError, TooLargeError
from cyberops.ingest.identity import content_id
from cyberops.ingest.sources import article_from_dict, iter_articles
from cyberops.record import Article
from cyberops.settings import Settings

TEXT = (
    "Menu\nS'abonner\n\nLe Kremlin dément toute implication dans la cyberattaque\n\n"
    "Le porte-parole du Kremlin a démenti jeudi toute implication de Moscou dans la cyberattaque qui a "
    "visé plusieurs ministères, qualifiant ces accusations de « totalement infondées ».\n\nPartager\n"
)


def articles(results: list) -> list[Article]:
    return [item for item in results if isinstance(item, Article)]


def errors(results: list) -> list[InputError]:
    return [item for item in results if isinstance(item, InputError)]


def test_text_file_becomes_clean_article(tmp_path: Path) -> None:
    path = tmp_path / "page.txt"
    path.write_text(TEXT, encoding="utf-8")
    [article] = list(iter_articles([str(path)], Settings()))
    assert isinstance(article, Article)
    assert article.title == "Le Kremlin dément toute implication dans la cyberattaque"
    assert article.text.startswith(article.title + "\n\n")
    assert "Menu" not in article.text
    assert article.raw_text == TEXT
    assert article.id == content_id(article.text)


def test_html_file_becomes_article(tmp_path: Path, article_html: str) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(article_html.encode("utf-8"))
    [article] = list(iter_articles([str(path)], Settings()))
    assert isinstance(article, Article)
    assert article.title == "Le ministère dément toute cyberattaque"
    assert article.published == "2019-02-19"
    assert article.text.startswith(article.title + "\n\n")


def test_jsonl_with_a_bad_line_keeps_the_good_ones(tmp_path: Path, article_html: str) -> None:
    lines = [
        json.dumps({"id": "a1", "text": TEXT, "language": "fr", "published": "2020-01-02", "outlet": "X"}),
        "{not json",
        json.dumps({"id": "a3", "url": "https://news.example/p", "html": article_html}),
        json.dumps({"id": "a4", "title": "nothing else"}),
        "",
        json.dumps([1, 2]),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    results = list(iter_articles([str(path)], Settings()))
    good = articles(results)
    assert [a.id for a in good] == ["a1", "a3"]
    assert good[0].published == "2020-01-02"
    assert (good[0].language, good[0].outlet) == ("fr", "X")
    assert good[1].url == "https://news.example/p"
    bad = errors(results)
    assert [e.source for e in bad] == [f"{path}:2", f"{path}:4", f"{path}:6"]
    assert "not valid JSON" in bad[0].message
    assert "neither" in bad[1].message


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "g1", "text": TEXT}) + "\n")
    assert [a.id for a in articles(list(iter_articles([str(path)], Settings())))] == ["g1"]


def test_directory_is_recursed_in_sorted_order(tmp_path: Path, article_html: str) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text(TEXT.replace("jeudi", "vendredi"), encoding="utf-8")
    (tmp_path / "a.html").write_text(article_html, encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    results = list(iter_articles([str(tmp_path)], Settings()))
    assert len(results) == 2
    assert results[0].title == "Le ministère dément toute cyberattaque"
    assert "vendredi" in results[1].text


def test_missing_file_is_reported_and_batch_goes_on(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text(TEXT, encoding="utf-8")
    results = list(iter_articles([str(tmp_path / "missing.txt"), str(good)], Settings()))
    assert isinstance(results[0], InputError)
    assert "no such file" in results[0].message
    assert isinstance(results[1], Article)


@pytest.mark.parametrize("content", [b"", b"   \n\n", b"Menu\nSearch\n"])
def test_empty_input_is_an_empty_document(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    [error] = list(iter_articles([str(path)], Settings()))
    assert isinstance(error, EmptyDocumentError)
    assert "empty document" in error.message


def test_binary_garbage_is_a_decode_error(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    [error] = list(iter_articles([str(path)], Settings()))
    assert isinstance(error, DecodeError)


@pytest.mark.parametrize("suffix", [".txt", ".html"])
def test_file_over_max_bytes_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"big{suffix}"
    path.write_bytes(b"a" * 2048)
    [error] = list(iter_articles([str(path)], Settings(max_bytes=1024)))
    assert isinstance(error, TooLargeError)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("cp1252", b""), ("latin-1", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b"")],
)
def test_text_in_other_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    path = tmp_path / "page.txt"
    path.write_bytes(bom + TEXT.replace("«", '"').replace("»", '"').encode(encoding))
    [article] = list(iter_articles([str(path)], Settings()))
    assert isinstance(article, Article)
    assert "Le porte-parole du Kremlin a démenti jeudi" in article.text


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (TEXT.encode("utf-8"), "text"),
        (b"<!DOCTYPE html>" + b"<html><body><article><p>" + b"Le ministre a d\xc3\xa9menti. " * 20 + b"</p>", "html"),
        (json.dumps({"id": "s1", "text": TEXT}).encode() + b"\n", "jsonl"),
    ],
)
def test_stdin_is_sniffed(data: bytes, kind: str) -> None:
    [article] = list(iter_articles(["-"], Settings(), stdin=io.BytesIO(data)))
    assert isinstance(article, Article)
    if kind == "jsonl":
        assert article.id == "s1"
    else:
        assert "menti" in article.text


def test_url_is_fetched_and_extracted(article_html: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=article_html.encode(), headers={"Content-Type": "text/html"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    [article] = list(
        iter_articles(["https://news.example/a"], Settings(), client=client, resolve=lambda host: ["93.184.216.34"])
    )
    assert isinstance(article, Article)
    assert article.url == "https://news.example/a"
    assert article.published == "2019-02-19"


@pytest.mark.network
def test_private_url_is_an_error_in_the_batch(local_server: str) -> None:
    results = list(iter_articles([f"{local_server}/article", f"{local_server}/missing"], Settings()))
    assert all(isinstance(r, PrivateAddressError) for r in results)
    allowed = list(iter_articles([f"{local_server}/article", f"{local_server}/missing"], Settings(allow_private=True)))
    assert isinstance(allowed[0], Article)
    assert isinstance(allowed[1], FetchError)


def test_article_from_dict_keeps_input_metadata() -> None:
    article = article_from_dict(
        {"id": "d1", "text": TEXT, "published": "2019-02-19", "title": "Given title", "url": "https://x.example/"},
        "gold.jsonl:1",
        Settings(),
    )
    assert (article.id, article.published, article.title, article.url) == (
        "d1",
        "2019-02-19",
        "Given title",
        "https://x.example/",
    )
    with pytest.raises(InputError, match="neither"):
        article_from_dict({"id": "d2"}, "gold.jsonl:2", Settings())
