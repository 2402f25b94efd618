"""Short articles written for these tests, shard writers, and an analyzer that kills its own worker.

The killing analyzer is the fault a test injects: a worker process that
meets the poisoned document dies by SIGKILL, as if the kernel's OOM killer
or an operator had killed it, and the engine must finish the job anyway.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
from pathlib import Path

import pyarrow as pa

from cyberops.batch.schema import rows_to_table
from cyberops.batch.shards import iter_documents
from cyberops.batch.work import analyze_document
from cyberops.nlp.analyzer import Analyzer
from cyberops.nlp.mentions import Mention
from cyberops.record import Article, Record
from cyberops.settings import Settings

INDICTMENT = (
    "US charges Chinese hackers over break-in at Norwegian software firm\n\n"
    "The US Justice Department on Tuesday indicted two Chinese nationals it said worked for the Ministry of State "
    "Security in the hacking campaign known as APT10. Prosecutors said the group broke into the networks of a "
    "Norwegian software company and stole trade secrets from its clients.\n\n"
    "China's foreign ministry rejected the accusations as groundless and urged Washington to stop its smear campaign."
)
RANSOMWARE = (
    "Hospital hit by ransomware attack\n\n"
    "A regional hospital in Germany said on Monday that a ransomware attack had encrypted its patient records and "
    "forced it to turn away ambulances. Investigators said the attackers used the Ryuk ransomware and demanded a "
    "payment in bitcoin. The Federal Office for Information Security said it was helping the hospital restore its systems."
)
FOOTBALL = (
    "Late goal sends City top of the table\n\n"
    "A header in the last minute gave the home side a two-one win on Saturday. The manager praised his players for "
    "their patience after a first half in which they had most of the ball but few chances."
)
WEATHER = (
    "Storm brings snow to the mountains\n\n"
    "Forecasters expect up to forty centimetres of fresh snow above two thousand metres by Sunday. Ski resorts said "
    "they would open their upper slopes earlier than planned."
)
BAKERY = (
    "Village bakery wins national prize\n\n"
    "A family bakery that has made rye bread for four generations won the national prize for traditional baking on "
    "Thursday. The owners said they would keep their prices as they are."
)
ESPIONNAGE = (
    "Paris accuse un groupe lié à la Russie d'espionnage\n\n"
    "Le ministère français des Armées a accusé mardi le groupe de pirates APT28, lié au renseignement militaire russe, "
    "d'avoir infiltré les messageries de plusieurs ministères. Moscou a démenti toute implication."
)


def docs_en() -> list[dict]:
    return [
        {"id": "en-1", "text": INDICTMENT, "url": "https://news.example/indictment", "language": "en"},
        {"id": "en-2", "text": FOOTBALL},
        {"id": "en-3", "text": RANSOMWARE, "outlet": "Example Times"},
        {"id": "en-4", "text": WEATHER, "published": "2021-01-09"},
        {"id": "en-5", "html": f"<html><body><article><h1>Bakery</h1><p>{BAKERY}</p></article></body></html>"},
    ]


def docs_fr() -> list[dict]:
    return [{"id": "fr-1", "text": ESPIONNAGE, "language": "fr"}, {"id": "fr-2", "text": "   "}]


def write_jsonl(path: Path, docs: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(doc, ensure_ascii=False) for doc in docs] + list(extra_lines)
    data = ("\n".join(lines) + "\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_corrupt_gzip(path: Path, docs: list[dict]) -> Path:
    """A gzip stream cut in half: the first documents read, then the stream breaks."""
    data = gzip.compress(("\n".join(json.dumps(doc) for doc in docs * 40) + "\n").encode())
    path.write_bytes(data[: len(data) // 2])
    return path


def write_warc(path: Path, pages: list[tuple[str, str]]) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=path.name.endswith(".gz"))
        for url, text in pages:
            paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n")[1:])
            title = text.split("\n\n")[0]
            body = f"<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body.encode()), http_headers=headers)
            )
    return path


class KillingAnalyzer:
    """Builds a real analyzer whose ``analyze`` SIGKILLs its own process on the poisoned document.

    ``once``: only the first worker to meet it dies (a flag file says it happened), so a retry succeeds.
    """

    def __init__(self, poison: str, flag: Path, once: bool = True) -> None:
        self.poison = poison
        self.flag = flag
        self.once = once

    def __call__(self, settings: Settings) -> _Killing:
        return _Killing(Analyzer(settings), self)


class _Killing:
    def __init__(self, inner: Analyzer, plan: KillingAnalyzer) -> None:
        self.inner = inner
        self.plan = plan

    def screening(self, article: Article) -> tuple[Record, list[Mention]]:
        return self.inner.screening(article)

    def parse(self, record: Record, kb_mentions: list[Mention]) -> Record:
        self._die_on(record.id)
        return self.inner.parse(record, kb_mentions)

    def analyze(self, article: Article) -> Record:
        self._die_on(article.id)
        return self.inner.analyze(article)

    def _die_on(self, doc_id: str | None) -> None:
        if doc_id == self.plan.poison and not (self.plan.once and self.plan.flag.exists()):
            self.plan.flag.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)


def expected_table(shard: Path, settings: Settings, analyzer: Analyzer) -> pa.Table:
    """The shard's rows analyzed in this process, one document after the other: what every engine must write."""
    return rows_to_table(analyze_document(analyzer, doc, settings) for doc in iter_documents(shard, settings))
