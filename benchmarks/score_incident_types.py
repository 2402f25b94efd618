"""Per-type precision, recall and F1 of document-level incident types on a gold JSONL.

Usage::

    python benchmarks/score_incident_types.py ../shared/corpus/casie/train.jsonl --casie
    python benchmarks/score_incident_types.py ../shared/corpus/dev/en.jsonl --reported

Gold per document is the union of the ``types`` of its incidents (``--reported``:
of its reported incidents only, the dev-corpus convention). ``--casie`` restricts
both sides to the four types CASIE annotates; otherwise every type of the closed
set is scored. ``--errors N`` lists up to N misclassified documents.

This scores the scanner alone (lexicon cues plus the event pairs of the
pattern file), without the analyzer's relevance gate, background sentences and
KB hints, so it runs in a second; ``cyberops eval`` gives the analyzer's figure.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from cyberops.nlp.incident_types import IncidentTypeScanner
from cyberops.record import INCIDENT_TYPES

CASIE_TYPES = ("data_breach", "phishing", "ransomware", "vulnerability")


def gold_types(doc: dict, reported_only: bool) -> set[str]:
    incidents = doc.get("incidents") or []
    if reported_only:
        incidents = [i for i in incidents if i.get("status", "reported") == "reported"]
    return {t for i in incidents for t in i.get("types", [])}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return p, r, f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--casie", action="store_true", help="score only the four CASIE types")
    parser.add_argument("--reported", action="store_true", help="gold from reported incidents only")
    parser.add_argument("--relevant", action="store_true", help="skip documents whose gold says relevant=false")
    parser.add_argument("--errors", type=int, default=0, help="list this many misclassified documents")
    args = parser.parse_args()

    scope = set(CASIE_TYPES if args.casie else INCIDENT_TYPES)
    scanner = IncidentTypeScanner()
    counts: dict[str, Counter] = {t: Counter() for t in sorted(scope)}
    errors = []
    for line in args.path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        if args.relevant and doc.get("relevant") is False:
            continue
        gold = gold_types(doc, args.reported) & scope
        pred = set(scanner.types(doc["text"], doc.get("language") or None)) & scope
        for t in scope:
            key = "tp" if t in gold and t in pred else "fp" if t in pred else "fn" if t in gold else None
            if key:
                counts[t][key] += 1
        if gold != pred:
            errors.append((doc.get("id"), sorted(gold), sorted(pred)))

    total: Counter = Counter()
    print(f"{'type':<16}{'P':>7}{'R':>7}{'F1':>7}{'gold':>7}{'pred':>7}")
    for t, c in counts.items():
        total.update(c)
        if not (c["tp"] + c["fn"] + c["fp"]):
            continue
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        print(f"{t:<16}{p:7.3f}{r:7.3f}{f:7.3f}{c['tp'] + c['fn']:7d}{c['tp'] + c['fp']:7d}")
    p, r, f = prf(total["tp"], total["fp"], total["fn"])
    print(f"{'micro':<16}{p:7.3f}{r:7.3f}{f:7.3f}{total['tp'] + total['fn']:7d}{total['tp'] + total['fp']:7d}")
    for doc_id, gold, pred in errors[: args.errors]:
        print(f"  {doc_id}: gold {gold} predicted {pred}")


if __name__ == "__main__":
    main()
