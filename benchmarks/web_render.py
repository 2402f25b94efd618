"""Page render time of the workbench on a synthetic 100,000-document store: p50/p95 for search and article pages.

Not a test: run it by hand and copy the figures into docs/decisions/web.md::

    .venv/bin/python benchmarks/web_render.py                       # build /tmp/cyberops-bench/web.db, then time
    .venv/bin/python benchmarks/web_render.py --reuse               # time an already built store
    .venv/bin/python benchmarks/web_render.py --db sqlite:////tmp/cyberops-bench/search.db --reuse

1. The store is synthesized by ``benchmarks/store_search.py`` (real records analyzed from the dev corpus,
   replicated with other ids, dates, outlets and appended words), so both benchmarks measure the same data.
2. Each page is requested through the ASGI app in-process (Starlette's TestClient: routing, dependencies,
   queries, Jinja2 rendering, no network), ``--repeat`` times per search and once per sampled article,
   after one warm-up request each; the script prints p50/p95/max in milliseconds with the load average.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi.testclient import TestClient

from cyberops.settings import Settings
from cyberops.store import RecordStore
from cyberops.store.schema import documents
from cyberops.web import WebSettings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
import store_search  # noqa: E402  (the synthesizer of benchmarks/store_search.py)

SEARCHES: list[tuple[str, dict[str, str]]] = [
    ("search: empty (all facets)", {}),
    ("search: term", {"q": "ransomware"}),
    ("search: common word", {"q": "the"}),
    ("search: phrase", {"q": '"cyber attack"'}),
    ("search: term + state", {"q": "hackers", "state": "CN"}),
    ("search: term + kind + since", {"q": "attack", "kind": "denial", "since": "2019-01-01"}),
    ("search: filters, page 5", {"state": "RU", "kind": "attribution", "offset": "80"}),
    ("search: actor name", {"q": "APT28"}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:////tmp/cyberops-bench/web.db", help="store URL")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--templates", type=int, default=80, help="real records to replicate (dev corpus first)")
    parser.add_argument("--corpus", default="/work/shared/corpus")
    parser.add_argument("--reuse", action="store_true", help="time an already built store")
    parser.add_argument("--repeat", type=int, default=20, help="requests per search")
    parser.add_argument("--articles", type=int, default=100, help="article pages to request (distinct documents)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    if not args.reuse and args.db.startswith("sqlite:///"):
        path = Path(args.db.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = RecordStore.open(args.db)
    try:
        if not args.reuse:
            build = argparse.Namespace(source_db=None, corpus=args.corpus, templates=args.templates, seed=args.seed)
            started = time.perf_counter()
            store_search._build(store, store_search._templates(build), args.documents, random.Random(args.seed))
            print(f"built {store.count():,} documents in {time.perf_counter() - started:.0f} s")
        _time_pages(store, args)
    finally:
        store.close()
    return 0


def _time_pages(store: RecordStore, args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    with store.engine.connect() as conn:
        ids = list(conn.execute(sa.select(documents.c.id)).scalars())
    app = create_app(Settings(), WebSettings(), store=store)
    print(f"{len(ids):,} documents on {store.engine.dialect.name}; {os.cpu_count()} CPUs")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'page':34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    all_search: list[float] = []
    with TestClient(app) as client:
        for label, params in SEARCHES:
            url = "/search" + ("?" + urlencode(params) if params else "")
            times = _timed(client, url, args.repeat)
            all_search += times
            _row(label, times)
        _row("search: all of the above", all_search)
        articles = rng.sample(ids, min(args.articles, len(ids)))
        _timed(client, f"/articles/{articles[0]}", 1)  # warm-up: templates compiled, caches filled
        article_times = [t for doc in articles for t in _timed(client, f"/articles/{doc}", 1, warm=False)]
        _row("article (distinct documents)", article_times)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _timed(client: TestClient, url: str, repeat: int, warm: bool = True) -> list[float]:
    if warm:
        client.get(url)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} -> {response.status_code}: {response.text[:300]}")
    return times


def _row(label: str, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    print(f"{label:34} {len(times):>4} {statistics.median(times):8.1f} {p95:8.1f} {max(times):8.1f}")


if __name__ == "__main__":
    sys.exit(main())
