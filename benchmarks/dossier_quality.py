"""Clustering quality of the dossiers: pairwise and B-cubed precision, recall and F1.

Usage::

    python benchmarks/dossier_quality.py                 # gold records and analyzer output
    python benchmarks/dossier_quality.py --gold-only     # gold records only (a second)
    python benchmarks/dossier_quality.py --errors        # list the wrong and missed pairs

Truth is ``tests/data/dossiers/dev-groups.json``: which of the 73 dev articles report the same
operation (labeled by us; see the README next to it). Every unlisted document is a singleton.

Two sets are scored, each with two kinds of records:

- **dev**: the 73 dev documents as they are.
- **dev+splits**: the same, with each *long* article replaced by its parts. Splits are cut here, at
  run time, from the corpus (nothing is stored): an article is long when its gold record is relevant
  with a reported incident, its text has at least ``SPLIT_MIN_CHARS`` characters and at least
  ``SPLIT_MIN_LINES`` non-empty lines. It is cut at line (paragraph) boundaries into
  ``SPLIT_PARTS`` parts of about equal length (two when shorter than ``THREE_PARTS_CHARS``). A part
  **counts** when it keeps at least ``PART_MIN_CHARS`` characters; shorter parts (a trailing tag line)
  are dropped from the set. Counted parts of one article belong together, and with the groups of
  their article. Every part keeps the page's url, outlet, language and published date (metadata of
  the page, not of the text), so parts are dated whenever the article is.

Records are either the **gold** records (a part carries its article's whole gold record: this
measures the linking rule given perfect facts) or the **analyzer**'s output
(``Analyzer(Settings()).analyze(article_from_dict(line))`` on the input fields of the line, as
``cyberops ingest`` sees them).

A document may report several operations, so both truth and dossiers are overlapping clusterings:
pairwise counts a pair as linked when the two share at least one cluster; B-cubed is the extended
B-cubed of Amigó et al. (2009), which reduces to the usual one when nothing overlaps. A document in
no dossier is its own cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from cyberops.correlate import build_dossiers
from cyberops.record import Record

REPO = Path(__file__).resolve().parent.parent
GROUPS_FILE = REPO / "tests" / "data" / "dossiers" / "dev-groups.json"

SPLIT_MIN_CHARS = 1200
SPLIT_MIN_LINES = 4
THREE_PARTS_CHARS = 1800
PART_MIN_CHARS = 250
# The fields of a JSONL line that ``article_from_dict`` reads; gold annotations stay behind.
INPUT_FIELDS = ("id", "text", "html", "url", "language", "title", "published", "outlet")

Clustering = dict[str, set[str]]  # element -> the ids of the clusters it is in


def corpus_dir() -> Path:
    return Path(os.environ.get("CYBEROPS_CORPUS") or REPO.parent / "shared" / "corpus")


def load_dev(corpus: Path) -> list[dict[str, Any]]:
    lines = []
    for path in sorted((corpus / "dev").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(json.loads(line))
    return lines


def load_groups(path: Path = GROUPS_FILE) -> list[list[str]]:
    return [list(group) for group in json.loads(path.read_text(encoding="utf-8"))["groups"]]


def gold_record(line: dict[str, Any], doc_id: str | None = None) -> Record:
    """The gold record of a line; gold items carry no ids, so they are numbered here."""
    data = {key: value for key, value in line.items() if key != "notes"}
    data["id"] = doc_id or line["id"]
    for name, prefix in (("entities", "e"), ("incidents", "i"), ("claims", "c")):
        data[name] = [{**item, "id": f"{prefix}{n}"} for n, item in enumerate(line.get(name) or [], 1)]
    return Record.from_dict(data)


# --- synthetic splits ---------------------------------------------------------------------------


def is_long(line: dict[str, Any]) -> bool:
    reported = any(i.get("status", "reported") == "reported" for i in line.get("incidents") or [])
    text = line.get("text") or ""
    lines = [part for part in text.split("\n") if part.strip()]
    return bool(line.get("relevant")) and reported and len(text) >= SPLIT_MIN_CHARS and len(lines) >= SPLIT_MIN_LINES


def split_text(text: str) -> list[str]:
    """The text cut at line boundaries into two or three parts of about equal length (all of them)."""
    lines = [part for part in text.split("\n") if part.strip()]
    parts = 3 if len(text) >= THREE_PARTS_CHARS and len(lines) >= 6 else 2
    cumulative = [0]
    for part in lines:
        cumulative.append(cumulative[-1] + len(part))
    cuts: list[int] = []
    for k in range(1, parts):
        target = cumulative[-1] * k / parts
        low = (cuts[-1] if cuts else 0) + 1
        # The line boundary nearest the target that leaves every part non-empty.
        choices = range(low, len(lines) - (parts - k) + 1)
        cuts.append(min(choices, key=lambda at: abs(cumulative[at] - target)))
    bounds = [0, *cuts, len(lines)]
    return ["\n\n".join(lines[a:b]) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def split_lines(lines: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(part line, article line) for every counted part of every long article; ids ``<id>/p<n>``."""
    out = []
    for line in lines:
        if not is_long(line):
            continue
        for n, text in enumerate(split_text(line["text"]), 1):
            if len(text.strip()) >= PART_MIN_CHARS:
                out.append(({**line, "id": f"{line['id']}/p{n}", "text": text}, line))
    return out


# --- metrics ------------------------------------------------------------------------------------


@dataclass
class Scores:
    pair_p: float
    pair_r: float
    pair_f: float
    b3_p: float
    b3_r: float
    b3_f: float
    true_pairs: int
    found_pairs: int
    elements: int


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def complete(clusters: Mapping[str, set[str]], elements: Iterable[str]) -> Clustering:
    """Every element with its cluster ids; an element in none is a cluster of its own."""
    return {e: set(clusters.get(e) or ()) or {f"self:{e}"} for e in elements}


def score(truth: Clustering, found: Clustering) -> Scores:
    """Pairwise and extended B-cubed scores of ``found`` against ``truth`` over the same elements."""
    elements = sorted(truth)
    true_pairs = found_pairs = both = 0
    for a, b in combinations(elements, 2):
        t = bool(truth[a] & truth[b])
        f = bool(found[a] & found[b])
        true_pairs += t
        found_pairs += f
        both += t and f
    pair_p = both / found_pairs if found_pairs else 1.0
    pair_r = both / true_pairs if true_pairs else 1.0

    def b3(x: Clustering, y: Clustering) -> float:
        # Extended B-cubed: for each element, the mean over the elements sharing an x-cluster of
        # min(shared x, shared y) / shared x.
        total = 0.0
        for a in elements:
            values = []
            for b in elements:
                shared = len(x[a] & x[b])
                if shared:
                    values.append(min(shared, len(y[a] & y[b])) / shared)
            total += sum(values) / len(values)
        return total / len(elements)

    b3_p, b3_r = b3(found, truth), b3(truth, found)
    return Scores(
        pair_p, pair_r, _f1(pair_p, pair_r), b3_p, b3_r, _f1(b3_p, b3_r), true_pairs, found_pairs, len(elements)
    )


def truth_of(groups: list[list[str]], elements: Iterable[str]) -> Clustering:
    """Labeled groups over documents; a part ``doc/pN`` is in its article's groups and with its siblings."""
    by_doc: dict[str, set[str]] = {}
    for n, group in enumerate(groups):
        for doc in group:
            by_doc.setdefault(doc, set()).add(f"group:{n}")
    clusters: dict[str, set[str]] = {}
    for element in elements:
        doc = element.split("/", 1)[0]
        clusters[element] = set(by_doc.get(doc, ()))
        if doc != element:
            clusters[element].add(f"article:{doc}")
    return complete(clusters, clusters)


def dossier_clusters(records: list[Record], elements: Iterable[str]) -> Clustering:
    clusters: dict[str, set[str]] = {}
    for dossier in build_dossiers(records):
        for doc in dossier.documents:
            clusters.setdefault(doc, set()).add(dossier.id)
    return complete(clusters, elements)


def split_recall(found: Clustering) -> tuple[int, int]:
    """(kept, all) pairs of parts of one article that share a dossier."""
    kept = total = 0
    for a, b in combinations(sorted(e for e in found if "/" in e), 2):
        if a.split("/")[0] == b.split("/")[0]:
            total += 1
            kept += bool(found[a] & found[b])
    return kept, total


# --- the two sets ---------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    elements: list[str]
    lines: list[dict[str, Any]]  # what to analyze, ids = elements
    articles: dict[str, dict[str, Any]]  # element -> its article's line (for gold records)


def cases(lines: list[dict[str, Any]]) -> list[Case]:
    dev = Case("dev", [line["id"] for line in lines], lines, {line["id"]: line for line in lines})
    parts = split_lines(lines)
    split_ids = {article["id"] for _, article in parts}
    kept = [line for line in lines if line["id"] not in split_ids]
    with_splits = Case(
        "dev+splits",
        [line["id"] for line in kept] + [part["id"] for part, _ in parts],
        kept + [part for part, _ in parts],
        {**{line["id"]: line for line in kept}, **{part["id"]: article for part, article in parts}},
    )
    return [dev, with_splits]


def gold_records_of(case: Case) -> list[Record]:
    return [gold_record(case.articles[element], element) for element in case.elements]


class Analyzed:
    """Analyzer records by element id, analyzed once across cases."""

    def __init__(self, analyzer: Any = None, settings: Any = None) -> None:
        from cyberops.nlp.analyzer import Analyzer
        from cyberops.settings import Settings

        self.settings = settings or Settings()
        self.analyzer = analyzer or Analyzer(self.settings)
        self.cache: dict[str, Record | None] = {}
        self.seconds = 0.0

    def records(self, case: Case) -> list[Record]:
        from cyberops.errors import CyberopsError
        from cyberops.ingest.sources import article_from_dict

        out = []
        for line in case.lines:
            if line["id"] not in self.cache:
                started = time.perf_counter()
                data = {key: line[key] for key in INPUT_FIELDS if line.get(key)}
                try:
                    self.cache[line["id"]] = self.analyzer.analyze(article_from_dict(data, line["id"], self.settings))
                except CyberopsError:
                    self.cache[line["id"]] = None
                self.seconds += time.perf_counter() - started
            record = self.cache[line["id"]]
            if record is not None:
                out.append(record)
        return out


@dataclass
class Row:
    case: str
    records: str
    scores: Scores
    splits: tuple[int, int]
    placed: tuple[int, int]  # (counted parts in a dossier, counted parts)
    found: Clustering
    truth: Clustering


def evaluate(records: list[Record], case: Case, groups: list[list[str]], kind: str) -> Row:
    truth = truth_of(groups, case.elements)
    found = dossier_clusters(records, case.elements)
    part_ids = [e for e in case.elements if "/" in e]
    placed = sum(1 for e in part_ids if not next(iter(found[e])).startswith("self:"))
    return Row(case.name, kind, score(truth, found), split_recall(found), (placed, len(part_ids)), found, truth)


def run(corpus: Path, analyzer: bool = True) -> tuple[list[Row], float]:
    lines = load_dev(corpus)
    groups = load_groups()
    rows = []
    analyzed = Analyzed() if analyzer else None
    for case in cases(lines):
        rows.append(evaluate(gold_records_of(case), case, groups, "gold"))
        if analyzed is not None:
            rows.append(evaluate(analyzed.records(case), case, groups, "analyzer"))
    return rows, analyzed.seconds if analyzed else 0.0


def errors(row: Row) -> list[str]:
    out = []
    for a, b in combinations(sorted(row.truth), 2):
        t, f = bool(row.truth[a] & row.truth[b]), bool(row.found[a] & row.found[b])
        if t != f:
            out.append(f"  {'missed' if t else 'wrong '} {a} ~ {b}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=corpus_dir())
    parser.add_argument("--gold-only", action="store_true", help="skip the analyzer (gold records only)")
    parser.add_argument("--errors", action="store_true", help="list wrong and missed pairs")
    args = parser.parse_args()
    if not (args.corpus / "dev").is_dir():
        sys.exit(f"no dev corpus under {args.corpus}")
    rows, seconds = run(args.corpus, analyzer=not args.gold_only)
    header = (
        f"{'set':<11} {'records':<9} {'n':>4} {'pairs':>5} {'found':>5}  {'pair P':>6} {'pair R':>6} {'pair F1':>7}"
    )
    print(header + f"  {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6}  {'split pairs':>11}  {'parts placed':>12}")
    for row in rows:
        s = row.scores
        splits = f"{row.splits[0]}/{row.splits[1]}" if row.splits[1] else "-"
        placed = f"{row.placed[0]}/{row.placed[1]}" if row.placed[1] else "-"
        print(
            f"{row.case:<11} {row.records:<9} {s.elements:>4} {s.true_pairs:>5} {s.found_pairs:>5}  "
            f"{s.pair_p:>6.3f} {s.pair_r:>6.3f} {s.pair_f:>7.3f}  {s.b3_p:>6.3f} {s.b3_r:>6.3f} {s.b3_f:>6.3f}  "
            f"{splits:>11}  {placed:>12}"
        )
    if seconds:
        print(f"analyzer: {seconds:.1f} s")
    if args.errors:
        for row in rows:
            print(f"{row.case} / {row.records}:")
            print("\n".join(errors(row)) or "  (none)")


if __name__ == "__main__":
    main()
