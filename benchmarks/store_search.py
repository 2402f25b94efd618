"""Search latency on a synthetic 100,000-document store: p50/p95 per kind of query, SQLite and PostgreSQL.

Not a test: run it by hand and copy the figures into docs/store-figures.md::

    .venv/bin/python benchmarks/store_search.py --db sqlite:////tmp/bench/search.db
    .venv/bin/python benchmarks/store_search.py --postgres          # a TemporaryPostgres server
    .venv/bin/python benchmarks/store_search.py --db sqlite:////tmp/bench/search.db --reuse   # time only

1. Templates: a few hundred real records, either analyzed here from the dev
   corpus plus a sample of the background news, or read from a store that
   ``cyberops ingest`` filled (``--source-db``). They are stored with
   ``RecordStore.save``, the real path.
2. Replicas: each synthetic document copies one template's rows exactly as
   ``save`` wrote them (document, mentions, incidents, incident types,
   claims, evidence; the FTS5 triggers and the PostgreSQL generated tsvector
   index it as usual) with another id, URL, outlet and date, and a paragraph
   of words drawn from the templates' own vocabulary appended to the text, so
   that the full-text index is not one template repeated. Rows go in with
   batched ``executemany`` inserts, far faster than one ``save`` per document.
3. Timing: every query runs ``--repeat`` times through ``RecordStore.search``
   (page of 20 hits, total and all facets, as the CLI and the web UI ask),
   and the script prints p50/p95 in milliseconds with the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import statistics
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from cyberops.ingest.identity import canonical_url, content_id
from cyberops.record import Record
from cyberops.store import RecordStore
from cyberops.store.engine import create_engine
from cyberops.store.schema import claims, documents, evidence, incident_types, incidents, mentions

_CHILDREN = (mentions, incidents, incident_types, claims, evidence)
_WORD = re.compile(r"[^\W\d_]{3,}")
_OUTLETS = [f"Outlet {n:02d}" for n in range(40)]

# (label, query, filters): the kinds of search an analyst runs, as the issue names them.
QUERIES: list[tuple[str, str, dict]] = [
    ("term", "ransomware", {}),
    ("term", "espionage", {}),
    ("term", "hackers", {}),
    ("term (common word)", "the", {}),
    ("phrase", '"cyber attack"', {}),
    ("term + state", "hackers", {"state": "CN"}),
    ("term + state", "ransomware", {"state": "US"}),
    ("term + kind + since", "attack", {"kind": "denial", "since": "2019-01-01"}),
    ("term + kind + since", "hackers", {"kind": "attribution", "since": "2020-01-01"}),
    ("term + lang + outlet", "security", {"lang": "en", "outlet": "Outlet 07"}),
    ("filters only", "", {"state": "RU", "kind": "attribution"}),
    ("filters only", "", {"lang": "fr", "since": "2018-01-01"}),
    ("filters only", "", {"incident_type": "espionage"}),
    ("facets (everything)", "", {}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="store URL (default: a SQLite file under /tmp)")
    parser.add_argument("--postgres", action="store_true", help="start a TemporaryPostgres server for the run")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=300, help="real records to replicate")
    parser.add_argument(
        "--source-db", action="append", help="take templates from this store, not by analyzing texts (repeatable)"
    )
    parser.add_argument("--corpus", default="/work/shared/corpus")
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query")
    parser.add_argument("--reuse", action="store_true", help="time an already built store")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    with _database(args) as url:
        store = RecordStore.open(url)
        try:
            if not args.reuse:
                templates = _templates(args)
                started = time.perf_counter()
                _build(store, templates, args.documents, random.Random(args.seed))
                print(f"built {store.count():,} documents in {time.perf_counter() - started:.0f} s; {_size(store)}")
            figures = _time_queries(store, args.repeat)
        finally:
            store.close()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


@contextlib.contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.postgres:
        from cyberops.store.testing import TemporaryPostgres

        with TemporaryPostgres() as server:
            yield server.create_database("search_bench")
        return
    url = args.db or "sqlite:////tmp/cyberops-bench/search.db"
    if url.startswith("sqlite:///") and not args.reuse:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield url


# -- 1. templates ---------------------------------------------------------------------


def _templates(args: argparse.Namespace) -> list[Record]:
    rng = random.Random(args.seed)
    if args.source_db:
        records: list[Record] = []
        for url in args.source_db:
            # No migration: a source store is only read, whatever its schema version.
            with RecordStore(create_engine(url), migrate=False) as source, source.engine.connect() as conn:
                each = args.templates // len(args.source_db)
                ids = list(conn.execute(sa.select(documents.c.id).order_by(documents.c.id)).scalars())
                ids = rng.sample(ids, min(each, len(ids)))  # seeded: both backends get the same templates
                records += [record for record in map(source.get, ids) if record is not None]
        return records
    from cyberops.pipeline import analyze_dicts
    from cyberops.settings import Settings

    corpus = Path(args.corpus)
    docs = [json.loads(line) for path in sorted((corpus / "dev").glob("*.jsonl")) for line in path.open()]
    news = [json.loads(line) for path in sorted((corpus / "news").glob("*.jsonl")) for line in path.open()]
    docs += rng.sample(news, max(0, args.templates - len(docs)))
    started = time.perf_counter()
    records = [r for r in analyze_dicts(docs, Settings()) if r is not None]
    print(f"analyzed {len(records)} templates in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return records


# -- 2. replicas ----------------------------------------------------------------------


def _build(store: RecordStore, templates: list[Record], total: int, rng: random.Random) -> None:
    for record in templates:
        store.save(record, raw=record.text, source="benchmark template")
    vocabulary = [w for record in templates for w in _WORD.findall(record.text)]
    with store.engine.begin() as conn:
        rows = {row.pk: row._asdict() for row in conn.execute(sa.select(documents))}
        children = {table.name: _group(conn.execute(sa.select(table)).mappings(), "document_pk") for table in _CHILDREN}
        next_pk = {t.name: (conn.execute(sa.select(sa.func.max(t.c.pk))).scalar() or 0) + 1 for t in _PK_TABLES}
    template_pks = sorted(rows)
    made = len(template_pks)
    batch = 2000
    while made < total:
        with store.engine.begin() as conn:
            pending: dict[str, list[dict]] = {t.name: [] for t in (documents, *_CHILDREN)}
            for _ in range(min(batch, total - made)):
                made += 1
                _replicate(rows[rng.choice(template_pks)], children, made, next_pk, pending, vocabulary, rng)
            for table in (documents, *_CHILDREN):
                if pending[table.name]:
                    conn.execute(sa.insert(table), pending[table.name])
        print(f"\r{made:,} documents", end="", file=sys.stderr)
    print(file=sys.stderr)
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # pks were given explicitly: move each sequence past them, as save() would have.
            for table in _PK_TABLES:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'pk'), (SELECT max(pk) FROM {table.name}))"
                )
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")


_PK_TABLES = (documents, incidents, claims, mentions, evidence)


def _group(rows, key: str) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(dict(row))
    return grouped


def _replicate(template, children, number, next_pk, pending, vocabulary, rng) -> None:
    """One synthetic document: the template's rows with a new identity, outlet, date and a paragraph of words."""
    doc_pk = _take(next_pk, "documents")
    outlet = rng.choice(_OUTLETS)
    day = f"{rng.randint(2008, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    published = None if rng.random() < 0.05 else day
    extra = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(30, 80)))
    text = f"{template['text']}\n\n{extra}."
    url = f"https://news{number % 97}.example.org/{published or 'undated'}/story-{number}"
    record = dict(template["record"])
    record.update(id=f"syn-{number}", url=url, outlet=outlet, published=published, text=text)
    pending["documents"].append(
        {
            **template,
            "pk": doc_pk,
            "id": record["id"],
            "content_hash": content_id(text),
            "url": url,
            "canonical_url": canonical_url(url),
            "text": text,
            "raw": zlib.compress(text.encode("utf-8"), 6),
            "outlet": outlet,
            "published": published,
            "source": "benchmark replica",
            "record": record,
        }
    )
    new_pks: dict[tuple[str, int], int] = {}
    for table in _CHILDREN:
        for row in children[table.name].get(template["pk"], []):
            copy = {**row, "document_pk": doc_pk}
            if "pk" in row:
                copy["pk"] = new_pks[table.name, row["pk"]] = _take(next_pk, table.name)
            for column, parent in (("incident_pk", "incidents"), ("claim_pk", "claims")):
                if row.get(column) is not None:
                    copy[column] = new_pks[parent, row[column]]
            pending[table.name].append(copy)


def _take(next_pk: dict[str, int], table: str) -> int:
    next_pk[table] += 1
    return next_pk[table] - 1


def _size(store: RecordStore) -> str:
    with store.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one()
        else:
            size = sum(
                os.path.getsize(f"{store.engine.url.database}{s}")
                for s in ("", "-wal")
                if os.path.exists(f"{store.engine.url.database}{s}")
            )
    return f"{size / 1e6:,.0f} MB"


# -- 3. timing ------------------------------------------------------------------------


def _time_queries(store: RecordStore, repeat: int) -> dict:
    store.search("warm up")  # the first query pays for opening the file and the connection pool
    load_before = os.getloadavg()
    by_label: dict[str, list[float]] = {}
    cpu_by_label: dict[str, list[float]] = {}
    # Wall time is what a user waits for; on a shared, busy machine most of it is waiting for a CPU. The
    # CPU time of this process is SQLite's own work (PostgreSQL's is in the server process: wall time only).
    print(f"{'query':58} {'total':>8} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8}")
    for label, query, filters in QUERIES:
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            result = store.search(query, **filters)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        by_label.setdefault(label, []).extend(times)
        cpu_by_label.setdefault(label, []).extend(cpu)
        name = f"{label}: {query!r} {filters or ''}"
        print(
            f"{name[:58]:58} {result.total:>8,} {_pct(times, 50):>8.1f} {_pct(times, 95):>8.1f}"
            f" {_pct(cpu, 50):>8.1f} {_pct(cpu, 95):>8.1f}"
        )
    load_after = os.getloadavg()
    print()
    for label, times in by_label.items():
        cpu = cpu_by_label[label]
        print(
            f"{label:28} p50 {_pct(times, 50):7.1f} ms   p95 {_pct(times, 95):7.1f} ms   "
            f"cpu p50 {_pct(cpu, 50):7.1f} ms   p95 {_pct(cpu, 95):7.1f} ms   ({len(times)} runs)"
        )
    print(f"documents {store.count():,}; {_size(store)}; load average {load_before[0]:.1f} → {load_after[0]:.1f}, "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    return {
        "documents": store.count(),
        "load": [load_before[0], load_after[0]],
        "queries": {
            label: {
                "p50": _pct(t, 50),
                "p95": _pct(t, 95),
                "cpu_p50": _pct(cpu_by_label[label], 50),
                "cpu_p95": _pct(cpu_by_label[label], 95),
                "runs": len(t),
            }
            for label, t in by_label.items()
        },
    }


def _pct(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


if __name__ == "__main__":
    raise SystemExit(main())
